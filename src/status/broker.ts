import { AGENT_BACKEND_PROPERTY, AGENT_NODE_PROPERTY } from '../amqp/connection.js';
import type { ConnectionInfo, QueueInfo } from '../amqp/management.js';
import { NODE_QUEUE_ARGUMENTS, nodeOfQueue, nodeQueueName, Queues } from '../amqp/topology.js';

/** A message as the management API's "get messages" returns it (the fields `status` reads). */
export interface PeekedMessage {
  routing_key: string;
}

/** The part of the management client `status` uses; the real one is ManagementClient. */
export interface QueueLister {
  listQueues(vhost: string): Promise<QueueInfo[]>;
  /** Reads up to `count` messages and puts them back (RabbitMQ marks them redelivered). */
  peekMessages(vhost: string, queue: string, count: number): Promise<PeekedMessage[]>;
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
  /** Why MultiNIC cannot use the queue (declared elsewhere: not quorum, no single active consumer); absent when usable. */
  problem?: string;
  /** The queue carries the pre-policy arguments (x-dead-letter-exchange, x-delivery-limit): works; README "Upgrading node queues". */
  legacy?: boolean;
  /** The RabbitMQ policy that applies to it (`multinic-node-queues` normally), if any. */
  policy?: string;
  /** Events for this name waiting in multinic.unroutable (of the first UNROUTABLE_PEEK read). */
  unroutable: number;
  /**
   * The host backend (`netplan`, `networkmanager`) a connected agent of this node reports in
   * its AMQP client properties; null when no agent of the node is connected (or it predates them).
   */
  backend: string | null;
}

export interface BrokerStatus {
  vhost: string;
  queues: Map<string, NodeQueueStatus>;
  /** Names that have a node queue or unroutable events but were not asked about (not in node_table, no rows). */
  otherNames: string[];
  /** Messages in multinic.dead; null when the queue does not exist. */
  deadLetters: number | null;
  /** Messages in multinic.unroutable; null when the queue does not exist. */
  unroutable: number | null;
}

/** Most messages of multinic.unroutable read to count them by routing key. */
export const UNROUTABLE_PEEK = 200;

/** The vhost an `amqp://` URL names: the decoded path, `/` when empty (as amqplib does). */
export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
}

const depth = (q: QueueInfo) => q.messages ?? (q.messages_ready ?? 0) + (q.messages_unacknowledged ?? 0);

/** Why a node queue's type or arguments make it unusable for MultiNIC, or undefined. */
export function queueProblem(q: QueueInfo): string | undefined {
  const type = q.type ?? (q.arguments?.['x-queue-type'] as string | undefined) ?? 'classic';
  if (type !== NODE_QUEUE_ARGUMENTS['x-queue-type']) return `a ${type} queue; MultiNIC needs x-queue-type=quorum`;
  if (q.arguments?.['x-single-active-consumer'] !== true) return 'no x-single-active-consumer=true: two agents could apply one node\'s events out of order';
  return undefined;
}

/** Node name -> host backend, from the `multinic_node` / `multinic_backend` client properties of the agents' connections. */
function backendsOf(connections: readonly ConnectionInfo[]): Map<string, string> {
  const backends = new Map<string, string>();
  for (const c of connections) {
    const p = c.client_properties ?? {};
    if (typeof p[AGENT_NODE_PROPERTY] === 'string' && typeof p[AGENT_BACKEND_PROPERTY] === 'string') backends.set(p[AGENT_NODE_PROPERTY], p[AGENT_BACKEND_PROPERTY]);
  }
  return backends;
}

/**
 * Reads every queue and every client connection of the vhost once (one API call each,
 * whatever the node count) and picks the nodes' ones; reads up to UNROUTABLE_PEEK messages
 * of multinic.unroutable to count its events by routing key. Names that have a queue or
 * unroutable events but are not among `nodes` come back in `otherNames` (with their entries
 * in `queues`), unless `only` limits the answer to one name. A node's `backend` is what its
 * connected agent reports (AGENT_BACKEND_PROPERTY).
 */
export async function queryBroker(management: QueueLister, vhost: string, nodes: readonly string[], only?: string): Promise<BrokerStatus> {
  const [queueList, connections] = await Promise.all([management.listQueues(vhost), management.listConnections?.(vhost) ?? []]);
  const all = new Map(queueList.map((q) => [q.name, q]));
  const backends = backendsOf(connections);
  const unroutableQueue = all.get(Queues.Unroutable);
  const unroutableBy = new Map<string, number>();
  if (unroutableQueue && depth(unroutableQueue) > 0) {
    for (const m of await management.peekMessages(vhost, Queues.Unroutable, UNROUTABLE_PEEK)) unroutableBy.set(m.routing_key, (unroutableBy.get(m.routing_key) ?? 0) + 1);
  }
  const asked = new Set(nodes);
  const others = new Set<string>();
  for (const name of all.keys()) {
    const node = nodeOfQueue(name);
    if (node !== undefined && !asked.has(node)) others.add(node);
  }
  for (const node of unroutableBy.keys()) if (!asked.has(node)) others.add(node);
  const otherNames = [...others].filter((n) => only === undefined || n === only).sort();

  const queues = new Map<string, NodeQueueStatus>();
  for (const node of [...nodes, ...otherNames]) {
    const name = nodeQueueName(node);
    const q = all.get(name);
    const consumers = q?.consumers ?? 0;
    const entry: NodeQueueStatus = { queue: name, exists: q !== undefined, messages: q ? depth(q) : 0, consumers, consuming: consumers > 0, unroutable: unroutableBy.get(node) ?? 0, backend: backends.get(node) ?? null };
    if (q) {
      const problem = queueProblem(q);
      if (problem) entry.problem = problem;
      else if (q.arguments?.['x-dead-letter-exchange'] !== undefined || q.arguments?.['x-delivery-limit'] !== undefined) entry.legacy = true;
      if (q.policy) entry.policy = q.policy;
    }
    queues.set(node, entry);
  }
  const count = (name: string) => {
    const q = all.get(name);
    return q ? depth(q) : null;
  };
  return { vhost, queues, otherNames, deadLetters: count(Queues.Dead), unroutable: count(Queues.Unroutable) };
}
