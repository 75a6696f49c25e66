/**
 * MultiNIC's real host code (NetplanHost: netplan generate, the real apply, the overlap
 * refusal, ownership check, probe gate and kernel verification) pointed into a lab node,
 * built from the node's agentEnv() through the configuration loader as the agent's root
 * builds it: sysfs of the node, `ip` (IP_COMMAND) and the probes' `ping` and TCP connect run
 * in the node behind the same nsenter prefix, files in its /etc/netplan.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import type { NetplanHost } from '../../../src/host/netplan/host.js';
import type { ProbeKind } from '../../../src/host/probes.js';
import { createRingLogger } from '../../../src/log/logger.js';
import type { InterfaceEventData } from '../../../src/events/types.js';
import { createHostFromConfig } from '../../../src/roots/host.js';
import type { LabNode } from '../index.js';

/** What a lab test may vary; everything else is the agent's default. */
export interface LabHostOptions {
  /** AGENT_ALLOW_OVERLAP. */
  allowOverlap?: boolean;
  /** AGENT_PROBES; default gateway and routes. */
  probes?: ProbeKind[];
  /** AGENT_PROBE_TIMEOUT in ms; default 3000. */
  probeTimeoutMs?: number;
  apiServer?: { host: string; port: number };
  /** Probe results, as the metrics see them. */
  onProbe?: (e: { kind: string; phase: string; ok: boolean; seconds: number }) => void;
  /** No overlap refusal and no probes (the kernel verification stays), for comparisons. */
  withoutSafety?: boolean;
  /** NETPLAN_APPLY_METHOD; default the agent's. */
  applyMethod?: 'targeted' | 'apply';
}

export interface LabHost {
  host: NetplanHost;
  records: () => Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A NetplanHost on `node` as the agent builds it, with the safety checks reading the node's kernel. */
export async function labHost(node: LabNode, o: LabHostOptions = {}): Promise<LabHost> {
  const scratch = await mkdtemp(join(tmpdir(), 'sf-host-'));
  const { log, records } = createRingLogger('sf-lab');
  const config = loadConfig({
    env: {
      ...node.agentEnv(),
      NETPLAN_BACKUP_DIR: join(scratch, 'backups'),
      NETPLAN_BACKUP_KEEP: '5',
      AGENT_NIC_WAIT: '3s',
      AGENT_VERIFY_TIMEOUT: '5s',
      AGENT_ALLOW_OVERLAP: String(o.withoutSafety || (o.allowOverlap ?? false)),
      AGENT_PROBES: o.withoutSafety ? '' : (o.probes ?? ['gateway', 'routes']).join(','),
      AGENT_PROBE_TIMEOUT: `${o.probeTimeoutMs ?? 3000}ms`,
      ...(o.applyMethod && { NETPLAN_APPLY_METHOD: o.applyMethod }),
    },
  });
  const { host } = createHostFromConfig(config, { log, apiServer: o.apiServer, probeObserver: { result: (e) => o.onProbe?.(e) } });
  return { host, records, close: () => rm(scratch, { recursive: true, force: true }) };
}

let ports = 0;
/** Event data for one port of `node` (a new port id each call). */
export function port(mac: string, cidr: string, address: string | null, over: Partial<InterfaceEventData> = {}): InterfaceEventData {
  return {
    nodeName: 'worker-1', portId: `sf-port-${++ports}`, macAddress: mac, subnetId: `subnet-${cidr}`, subnetName: 'data', networkId: 'net-data',
    cidr, address, mtu: null, crNamespace: null, crName: null, generation: Date.UTC(2026, 10, 30) + ports, ...over,
  };
}

/** Every file of a netplan folder with its exact bytes. */
export async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of (await readdir(dir)).sort()) out.set(f, await readFile(join(dir, f)));
  return out;
}

/** The rejection of `p`, or a failure when it resolved. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    (v) => { throw new Error(`expected a refusal, got ${JSON.stringify(v)}`); },
    (e: Error) => e,
  );
}
