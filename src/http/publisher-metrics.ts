import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRoleMetrics } from './metrics.js';

/** The publisher's Prometheus metrics, registered on the process registry the HTTP server serves. */
export interface PublisherMetrics {
  /** Events confirmed by the broker, by `type` (`attach` / `detach`, as the agent's) and reason (new, changed, resend). */
  published: Counter<'type' | 'reason'>;
  /** Publishes the broker did not confirm (retried next cycle). */
  publishFailures: Counter<never>;
  /** Rows that cannot become an event, counted once per (port, generation, content). */
  malformed: Counter<never>;
  /** Resends skipped because the agent recorded the same generation and content as failed. */
  skippedFailed: Counter<never>;
  /** Due resends not sent because the node's queue still held messages (the broker has a copy). */
  resendsSkippedQueued: Counter<never>;
  /** Rows held back in the last cycle, by reason: `unknown_node` (not in node_table) or `unusable_queue`; 0 while standing by. */
  rowsWaiting: Gauge<'reason'>;
  /** Node queues declared elsewhere with arguments MultiNIC cannot use; their nodes' rows wait. 0 while standing by. */
  unusableNodeQueues: Gauge<never>;
  /** Rows needing work in the last complete sweep of the pending set. */
  pending: Gauge<never>;
  /** Age in seconds of the oldest row needing work (now - its modified_at) in the last complete sweep; 0 when none or standing by. */
  oldestPendingAge: Gauge<never>;
  /** 1 while this replica holds the publisher lock. */
  leader: Gauge<never>;
  /** Wall time of one poll cycle, seconds. */
  pollDuration: Histogram<never>;
  /** `operation` `poll` (a cycle ended without error, active or standing by) and `publish` (an event was confirmed). */
  lastSuccess: Gauge<'operation'>;
}

/** Defines the publisher metrics on `registry` (names prefixed `multinic_publisher_`, plus build_info with role `publisher`). */
export function createPublisherMetrics(registry: Registry): PublisherMetrics {
  const registers = [registry];
  return {
    ...createRoleMetrics(registry, 'publisher'),
    published: new Counter({ name: 'multinic_publisher_events_published_total', help: 'Events confirmed by RabbitMQ, by type (attach, detach) and reason (new, changed, resend).', labelNames: ['type', 'reason'] as const, registers }),
    publishFailures: new Counter({ name: 'multinic_publisher_publish_failures_total', help: 'Publishes not confirmed by RabbitMQ; retried next cycle.', registers }),
    malformed: new Counter({ name: 'multinic_publisher_malformed_rows_total', help: 'Rows skipped because they cannot become a valid event (once per port, generation and content).', registers }),
    skippedFailed: new Counter({ name: 'multinic_publisher_resends_skipped_failed_total', help: 'Resends skipped because the agent recorded this generation and content as failed.', registers }),
    resendsSkippedQueued: new Counter({ name: 'multinic_publisher_resends_skipped_queued_total', help: "Resends not sent because the node's queue still held messages.", registers }),
    rowsWaiting: new Gauge({ name: 'multinic_publisher_rows_waiting', help: 'Rows held back in the last cycle: node not in node_table (unknown_node) or its queue unusable (unusable_queue); 0 on a standby replica.', labelNames: ['reason'] as const, registers }),
    unusableNodeQueues: new Gauge({ name: 'multinic_publisher_unusable_node_queues', help: 'Node queues declared elsewhere with arguments MultiNIC cannot use; 0 on a standby replica.', registers }),
    pending: new Gauge({ name: 'multinic_publisher_pending_rows', help: 'Rows needing attach or detach work in the last complete sweep.', registers }),
    oldestPendingAge: new Gauge({
      name: 'multinic_publisher_oldest_pending_row_age_seconds',
      help: 'Seconds since the version (modified_at, else created_at) of the oldest row needing work, in the last complete sweep; 0 when none or standing by.',
      registers,
    }),
    leader: new Gauge({ name: 'multinic_publisher_is_leader', help: '1 while this replica holds the publisher lock and publishes.', registers }),
    pollDuration: new Histogram({ name: 'multinic_publisher_poll_duration_seconds', help: 'Duration of one poll cycle.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
  };
}
