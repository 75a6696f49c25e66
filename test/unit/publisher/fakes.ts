import { Registry } from 'prom-client';
import { createRingLogger } from '../../../src/log/logger.js';
import type { InterfaceRowWithSubnet } from '../../../src/model/row-data.js';
import type { InterfaceEvent } from '../../../src/events/types.js';
import { createPublisherMetrics } from '../../../src/http/publisher-metrics.js';
import type { ConfiguredPlacement, FailedOutcome, PublisherPorts } from '../../../src/model/publisher-ports.js';

/** A pending multi_interface row with its subnet, valid unless overridden. */
export function pendingRow(id: number, over: Partial<InterfaceRowWithSubnet> = {}): InterfaceRowWithSubnet {
  const hex = id.toString(16).padStart(2, '0');
  return {
    id,
    port_id: `port-${id}`,
    subnet_id: 'subnet-data',
    macaddress: `fa:16:3e:00:00:${hex}`,
    attached_node_id: null,
    attached_node_name: `node-${id % 2}`,
    cr_namespace: null,
    cr_name: null,
    netplan_success: 0,
    status: null,
    address: null,
    mtu: null,
    created_at: new Date(1_000_000),
    modified_at: null,
    deleted_at: null,
    subnet_name: 'data',
    cidr: '10.0.0.0/24',
    network_id: 'net-data',
    ...over,
  };
}

/** Hand-written fakes of every publisher port, with their recorded effects. */
export function fakePorts({ batchSize = 100 } = {}) {
  const { log, records } = createRingLogger('publisher-test');
  const state = {
    rows: [] as InterfaceRowWithSubnet[],
    failed: [] as FailedOutcome[],
    /** Where agents recorded ports configured (multinic_port_state). */
    configured: [] as ConfiguredPlacement[],
    /** node_table: the nodes `pendingRow` uses by default. */
    nodes: ['node-0', 'node-1'] as string[],
    declared: new Set<string>(),
    /** What a passive declare of a node's queue answers; a node not listed has an empty queue. */
    depths: new Map<string, { messages: number; consumers: number } | undefined>(),
    depthChecks: 0,
    published: [] as InterfaceEvent[],
    publishError: undefined as Error | undefined,
    leader: true,
    /** Set by a test to drop leadership during a publish. */
    loseLeadershipOnPublish: false,
    queries: 0,
    nowMs: 10_000_000,
    registry: new Registry(),
  };
  const ports: PublisherPorts = {
    rows: {
      async pendingAfter(afterId, limit) {
        state.queries++;
        return state.rows.filter((r) => r.id > afterId).sort((a, b) => a.id - b.id).slice(0, limit);
      },
    },
    outcomes: {
      failedAmong: async (ids) => state.failed.filter((f) => ids.includes(f.portId)),
      configuredAmong: async (ids) => state.configured.filter((c) => ids.includes(c.portId)),
    },
    nodes: { listNodes: async () => [...state.nodes] },
    broker: {
      isDeclared: (n) => state.declared.has(n),
      async declareNodes(nodes) {
        for (const n of nodes) state.declared.add(n);
      },
      queueProblems: () => [],
      async queueDepth(node) {
        state.depthChecks++;
        return state.depths.has(node) ? state.depths.get(node) : { messages: 0, consumers: 0 };
      },
      async publish(event) {
        if (!state.declared.has(event.data.nodeName)) throw new Error(`node ${event.data.nodeName} not declared before publish`);
        if (state.loseLeadershipOnPublish) state.leader = false;
        if (state.publishError) throw state.publishError;
        state.published.push(event);
      },
    },
    leader: { ensure: async () => state.leader, isLeader: () => state.leader },
    metrics: createPublisherMetrics(state.registry),
    log,
    now: () => new Date(state.nowMs),
    settings: { batchSize, nodeRefreshMs: 30_000, source: '/multinic/publisher' },
  };
  return { ports, state, records };
}
