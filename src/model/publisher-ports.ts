import type { InterfaceRowWithSubnet } from './row-data.js';
import type { InterfaceEvent } from '../events/types.js';
import type { Log } from '../log/logger.js';

/**
 * The narrow interfaces the publisher's poll works through, kept in the model so the
 * adapters that implement them (src/db, src/amqp) never import the publisher. The
 * composition root (src/roots/publisher.ts) builds the adapters (Sequelize, a MySQL
 * lock connection, amqp-connection-manager); unit tests pass hand-written fakes. The poll itself builds no client and reads no environment.
 */

/** The one indexed query of a cycle. */
export interface PendingRows {
  /**
   * Rows needing work (attach: not deleted and not configured; detach: deleted and
   * still configured) with id > `afterId`, in id order, at most `limit`.
   */
  pendingAfter(afterId: number, limit: number): Promise<InterfaceRowWithSubnet[]>;
}

/** A port whose last outcome the agent recorded as failed (multinic_port_state). */
export interface FailedOutcome {
  portId: string;
  generation: number;
  contentDigest: string;
}

/** Where an agent last recorded a port as configured (multinic_port_state, outcome 'configured'). */
export interface ConfiguredPlacement {
  portId: string;
  /** The agent's node_table name (its NODE_DB_NAME, or what it resolved). */
  node: string;
  /** contentDigest of what it configured, with nodeName = `node`. */
  contentDigest: string;
}

export interface PortOutcomes {
  /** Failed outcomes among these ports; used only before a resend. */
  failedAmong(portIds: readonly string[]): Promise<FailedOutcome[]>;
  /** Ports among these that an agent recorded as configured, and where: a move needs a detach there. */
  configuredAmong(portIds: readonly string[]): Promise<ConfiguredPlacement[]>;
}

/**
 * multi_subnet as the poll watches it: a subnet's cidr, network or deletion changes the
 * configuration of every port on it, configured ones included, which the pending index
 * never shows.
 */
export interface SubnetWatch {
  /** One cheap indexed query: a value that changes whenever any subnet's cidr, network_id or deleted_at changes. */
  fingerprint(): Promise<string>;
  /** subnet_id -> its cidr, network_id and deletion, as one comparable string. */
  snapshot(): Promise<Map<string, string>>;
  /**
   * Rows on these subnets (every configured row when null) whose port an agent recorded
   * as configured, with where; indexed by subnet (ix_multi_interface_subnet).
   */
  configuredRows(subnetIds: readonly string[] | null): Promise<Array<{ row: InterfaceRowWithSubnet; placement: ConfiguredPlacement }>>;
}

export interface NodeDirectory {
  /** attached_node_name of every live node_table row. */
  listNodes(): Promise<string[]>;
}

/** A node queue as a passive declare reports it: ready messages and attached consumers. */
export interface QueueDepth {
  messages: number;
  consumers: number;
}

/** A node whose queue exists with arguments MultiNIC cannot use; its rows wait in the database. */
export interface NodeQueueProblem {
  node: string;
  queue: string;
  /** One line naming the queue, the argument and the fix. */
  message: string;
}

/** The broker side: node queues and confirmed publishes. */
export interface EventBroker {
  /** True while this node's queue is known to exist with usable arguments (declared or checked on this connection). */
  isDeclared(node: string): boolean;
  /**
   * Declares these nodes' queues, each on its own: a node whose queue was declared elsewhere
   * with other arguments is reported (`queueProblems`) and stays undeclared, the others go on.
   * Nodes already declared on this connection are skipped; while disconnected nothing happens.
   */
  declareNodes(nodes: readonly string[]): Promise<void>;
  /** Node queues found unusable by the last declaration of each node. */
  queueProblems(): NodeQueueProblem[];
  /** Passive check of one node's queue (creates nothing); undefined when it does not exist. */
  queueDepth(node: string): Promise<QueueDepth | undefined>;
  /**
   * Publishes to multinic.events with routing key = node; resolves when the broker confirmed.
   * Refuses (UnroutableError) an event for a node whose queue does not exist: nothing is
   * created for a name no node queue carries.
   */
  publish(event: InterfaceEvent): Promise<void>;
}

/** Single-active-replica election. */
export interface Leadership {
  /** Checks (and, on a standby, tries to take) leadership; false when not the active replica. */
  ensure(): Promise<boolean>;
  /** The last known state, updated at once when the lock connection is lost. */
  isLeader(): boolean;
}

/** Leadership that can be given up on purpose (the active replica that cannot reach the broker). */
export interface ReleasableLeadership extends Leadership {
  /** Gives the lock up now, keeping the lock connection; `ensure` may take it again later. */
  release(): Promise<void>;
}

export interface PublisherSettings {
  batchSize: number;
  nodeRefreshMs: number;
  /** CloudEvents source, `/multinic/publisher`. */
  source: string;
}

/**
 * The metrics one poll updates, as the few calls it makes: the Prometheus adapter
 * (src/http/publisher-metrics.ts) satisfies it, a test may pass anything with these calls.
 */
export interface PollMetrics {
  published: { inc(labels: { type: string; reason: string }): void };
  publishFailures: { inc(): void };
  malformed: { inc(): void };
  skippedFailed: { inc(): void };
  /** A due resend not sent because the node's queue still holds messages. */
  resendsSkippedQueued: { inc(): void };
  /** Rows held back in the last cycle: node not in node_table, or its queue unusable. */
  rowsWaiting: { set(labels: { reason: 'unknown_node' | 'unusable_queue' }, value: number): void };
  /** Node queues found unusable (declared elsewhere with other arguments). */
  unusableNodeQueues: { set(value: number): void };
  pending: { set(value: number): void };
  /** Seconds since the oldest pending row's version, set at the end of each sweep (0 when none or standing by). */
  oldestPendingAge: { set(value: number): void };
  leader: { set(value: number): void };
  /** Starts timing one cycle; calling the returned function records it. */
  pollDuration: { startTimer(): () => unknown };
  /** Unix seconds of the last success, by `operation`: `poll` (a cycle ended) and `publish` (an event was confirmed). */
  lastSuccess: { set(labels: { operation: 'poll' | 'publish' }, unixSeconds: number): void };
}

/** Everything one poll may use. */
export interface PublisherPorts {
  rows: PendingRows;
  outcomes: PortOutcomes;
  /** Absent: subnet changes reach configured nodes only at their resync. */
  subnets?: SubnetWatch;
  nodes: NodeDirectory;
  broker: EventBroker;
  leader: Leadership;
  metrics: PollMetrics;
  log: Pick<Log, 'info' | 'warn' | 'error' | 'debug'>;
  now: () => Date;
  settings: PublisherSettings;
}
