import { AGENT_BACKEND_PROPERTY, AGENT_NODE_PROPERTY } from '../amqp/connection.js';
import type { ConnectionInfo, QueueInfo } from '../amqp/management.js';
import { nodeQueueName, Queues } from '../amqp/topology.js';

/** The part of the management client `status` uses; the real one is ManagementClient. */
export interface QueueLister {
  listQueues(vhost: string): Promise<QueueInfo[]>;
  /** The vhost's client connections; without it no node's backend is known. */
  listConnections?(vhost: string): Promise<ConnectionInfo[]>;
}

/** One node queue as `status` shows it. */
export interface NodeQueueStatus {
  queue: string;
  /** False when the queue has not been declared yet (no publisher or agent has run for the node). */
  exists: boolean;
  /** Ready + unacknowledged messages. */
  messages: number;
  consumers: number;
  /** An agent is attached (consumers > 0). */
  consuming: boolean;
  /**
   * The host backend (`netplan`, `networkmanager`) a connected agent of this node reports in
   * its AMQP client properties; null when no agent of the node is connected (or it predates them).
   */
  backend: string | null;
}

export interface BrokerStatus {
  vhost: string;
  queues: Map<string, NodeQueueStatus>;
  /** Messages in multinic.dead; null when the queue does not exist. */
  deadLetters: number | null;
  /** Messages in multinic.unroutable; null when the queue does not exist. */
  unroutable: number | null;
}

/** The vhost an `amqp://` URL names: the decoded path, `/` when empty (as amqplib does). */
export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
}

const depth = (q: QueueInfo) => q.messages ?? (q.messages_ready ?? 0) + (q.messages_unacknowledged ?? 0);

/** Reads every queue of the vhost once (one API call, whatever the node count) and picks the nodes' ones. */
export async function queryBroker(management: QueueLister, vhost: string, nodes: readonly string[]): Promise<BrokerStatus> {
  const [queueList, connections] = await Promise.all([management.listQueues(vhost), management.listConnections?.(vhost) ?? []]);
  const all = new Map(queueList.map((q) => [q.name, q]));
  const backends = new Map<string, string>();
  for (const c of connections) {
    const p = c.client_properties ?? {};
    if (typeof p[AGENT_NODE_PROPERTY] === 'string' && typeof p[AGENT_BACKEND_PROPERTY] === 'string') backends.set(p[AGENT_NODE_PROPERTY], p[AGENT_BACKEND_PROPERTY]);
  }
  const queues = new Map<string, NodeQueueStatus>();
  for (const node of nodes) {
    const name = nodeQueueName(node);
    const q = all.get(name);
    const consumers = q?.consumers ?? 0;
    queues.set(node, { queue: name, exists: q !== undefined, messages: q ? depth(q) : 0, consumers, consuming: consumers > 0, backend: backends.get(node) ?? null });
  }
  const count = (name: string) => {
    const q = all.get(name);
    return q ? depth(q) : null;
  };
  return { vhost, queues, deadLetters: count(Queues.Dead), unroutable: count(Queues.Unroutable) };
}
