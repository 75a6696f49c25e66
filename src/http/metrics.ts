import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prefix of every MultiNIC metric, so one dashboard query finds them all. */
export const METRIC_PREFIX = 'multinic_';

/**
 * A fresh registry with Node's process metrics (CPU, memory, event-loop lag, handles)
 * prefixed `multinic_`. One per process, built in the entry point and served on /metrics;
 * never the prom-client global, so tests and two roles in one process do not collide.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/**
 * What the agent counts. Outcomes of `events` are the handler's results (configured,
 * unchanged, removed, absent, stale) or the trigger's (invalid, dead-lettered, requeued);
 * `type` is the event's last type segment (attach/detach) or `unknown` for an invalid body.
 */
export interface AgentMetrics {
  events: Counter<'type' | 'outcome'>;
  /** Seconds per handler invocation (one try), by event type and `ok`/`error`. */
  applyDuration: Histogram<'type' | 'result'>;
  /** In-process retries of a transient failure. */
  retries: Counter;
  deadLetters: Counter<'reason'>;
  /** Interfaces MultiNIC currently configures on this host; set by whoever lists them. */
  interfacesConfigured: Gauge;
  /** Resync runs by outcome (`ok`, `failed`, `skipped`). */
  resyncRuns: Counter<'outcome'>;
  resyncDuration: Histogram;
  /** Rows that may be this node's but name no node node_table knows, or several (nothing of theirs is removed); set by each resync. */
  rowsUnaccounted: Gauge;
}

/** Registers the agent's metrics on `registry`; call once per registry. */
export function createAgentMetrics(registry: Registry): AgentMetrics {
  const registers = [registry];
  return {
    events: new Counter({ name: `${METRIC_PREFIX}events_total`, help: 'Events handled, by type and outcome.', labelNames: ['type', 'outcome'], registers }),
    applyDuration: new Histogram({
      name: `${METRIC_PREFIX}apply_duration_seconds`,
      help: 'Time one handler invocation took (validate, apply, verify, patch, write back).',
      labelNames: ['type', 'result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    retries: new Counter({ name: `${METRIC_PREFIX}retries_total`, help: 'In-process retries of transient handler failures.', registers }),
    deadLetters: new Counter({ name: `${METRIC_PREFIX}dead_letters_total`, help: 'Messages that ended in multinic.dead, by reason class.', labelNames: ['reason'], registers }),
    interfacesConfigured: new Gauge({ name: `${METRIC_PREFIX}interfaces_configured`, help: 'Interfaces MultiNIC configures on this host.', registers }),
    rowsUnaccounted: new Gauge({
      name: `${METRIC_PREFIX}rows_unaccounted`,
      help: 'Rows of this node (or files on it) whose attached_node_name node_table does not know, or fits several nodes: reported, never removed.',
      registers,
    }),
    resyncRuns: new Counter({ name: `${METRIC_PREFIX}resync_runs_total`, help: 'Resync runs of this node against the database, by outcome.', labelNames: ['outcome'], registers }),
    resyncDuration: new Histogram({
      name: `${METRIC_PREFIX}resync_duration_seconds`,
      help: 'Time one resync run took.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
  };
}
