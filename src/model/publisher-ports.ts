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

export interface PortOutcomes {
  /** Failed outcomes among these ports; used only before a resend. */
  failedAmong(portIds: readonly string[]): Promise<FailedOutcome[]>;
}

export interface NodeDirectory {
  /** attached_node_name of every live node_table row. */
  listNodes(): Promise<string[]>;
}

/** The broker side: node queues and confirmed publishes. */
export interface EventBroker {
  /** True once this node's queue has been declared by this process. */
  isDeclared(node: string): boolean;
  /** Declares these nodes' queues (contract arguments) now and again after every reconnect. */
  declareNodes(nodes: readonly string[]): Promise<void>;
  /** Publishes to multinic.events with routing key = node; resolves when the broker confirmed. */
  publish(event: InterfaceEvent): Promise<void>;
}

/** Single-active-replica election. */
export interface Leadership {
  /** Checks (and, on a standby, tries to take) leadership; false when not the active replica. */
  ensure(): Promise<boolean>;
  /** The last known state, updated at once when the lock connection is lost. */
  isLeader(): boolean;
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
  nodes: NodeDirectory;
  broker: EventBroker;
  leader: Leadership;
  metrics: PollMetrics;
  log: Pick<Log, 'info' | 'warn' | 'error' | 'debug'>;
  now: () => Date;
  settings: PublisherSettings;
}
