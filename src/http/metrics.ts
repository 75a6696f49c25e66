import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { packageVersion } from '../lib/version.js';

/** Prefix of every MultiNIC metric, so one dashboard query finds them all. */
export const METRIC_PREFIX = 'multinic_';

/** The `role` label of `multinic_build_info`. */
export type Role = 'agent' | 'publisher';

/** What `multinic_last_success_timestamp_seconds{operation}` records, by role (agent: event, resync; publisher: poll, publish). */
export const Operation = { Event: 'event', Resync: 'resync', Poll: 'poll', Publish: 'publish' } as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

/**
 * A fresh registry with prom-client's default metrics under their standard names
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `nodejs_eventloop_lag_p99_seconds`,
 * …: unprefixed, so stock Node.js dashboards find them). One per process, built in the
 * entry point and served on /metrics; never the prom-client global, so tests and two
 * roles in one process do not collide.
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The metrics both roles carry: `multinic_build_info{version,role}` (always 1; version from
 * package.json) and `multinic_last_success_timestamp_seconds{operation}` (Unix seconds of the
 * last success; absent until the first, so `time() - …` alerts see no false age at start-up).
 */
export function createRoleMetrics(registry: Registry, role: Role): { lastSuccess: Gauge<'operation'> } {
  const registers = [registry];
  new Gauge({
    name: `${METRIC_PREFIX}build_info`,
    help: 'Always 1; the labels say which MultiNIC version runs in which role.',
    labelNames: ['version', 'role'],
    registers,
  }).set({ version: packageVersion(), role }, 1);
  return {
    lastSuccess: new Gauge({
      name: `${METRIC_PREFIX}last_success_timestamp_seconds`,
      help: 'Unix time in seconds of the last success of each operation (agent: event, resync; publisher: poll, publish).',
      labelNames: ['operation'],
      registers,
    }),
  };
}

/** Sets `multinic_last_success_timestamp_seconds{operation}` to `now`. */
export function markSuccess(gauge: Pick<Gauge<'operation'>, 'set'>, operation: Operation, now: Date = new Date()): void {
  gauge.set({ operation }, now.getTime() / 1000);
}

/**
 * What the agent counts. Outcomes of `events` are the handler's results (configured,
 * unchanged, removed, absent, stale) or the trigger's (invalid, dead-lettered, requeued);
 * `type` is `attach` or `detach` (as the publisher's), or `unknown` for an invalid body.
 */
export interface AgentMetrics {
  events: Counter<'type' | 'outcome'>;
  /** Seconds per handler invocation (one try: stale check, apply, verify, patch, write back), by type and `ok`/`error`. */
  handlerDuration: Histogram<'type' | 'result'>;
  /** Seconds of the backend's apply alone (e.g. `netplan apply`), by backend and `ok`/`error`. */
  applyDuration: Histogram<'backend' | 'result'>;
  /** Seconds from the row's version (its `generation`) to the change being applied on this node, by type. */
  rowToConfigured: Histogram<'type'>;
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
  /** `operation` `event` (a handler try succeeded) and `resync` (a run ended `ok`). */
  lastSuccess: Gauge<'operation'>;
}

/** Buckets for a host change (seconds): an apply takes 0.1-10 s, a hung one ends at its timeout. */
const APPLY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Registers the agent's metrics (and build_info with role `agent`) on `registry`; call once per registry. */
export function createAgentMetrics(registry: Registry): AgentMetrics {
  const registers = [registry];
  return {
    ...createRoleMetrics(registry, 'agent'),
    events: new Counter({ name: `${METRIC_PREFIX}events_total`, help: 'Events handled, by type and outcome.', labelNames: ['type', 'outcome'], registers }),
    handlerDuration: new Histogram({
      name: `${METRIC_PREFIX}handler_duration_seconds`,
      help: 'Time one handler invocation took (stale check, apply, verify, Node patch, write back), by event type and result.',
      labelNames: ['type', 'result'],
      buckets: APPLY_BUCKETS,
      registers,
    }),
    applyDuration: new Histogram({
      name: `${METRIC_PREFIX}apply_duration_seconds`,
      help: "Time the host backend's apply alone took (netplan apply), by backend and result; rollback re-applies count too.",
      labelNames: ['backend', 'result'],
      buckets: APPLY_BUCKETS,
      registers,
    }),
    rowToConfigured: new Histogram({
      name: `${METRIC_PREFIX}row_to_configured_seconds`,
      help: "Time from a row's version (modified_at, the event's generation) to its change being applied on the node through an event, by event type (resync repairs are not counted).",
      labelNames: ['type'],
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    retries: new Counter({ name: `${METRIC_PREFIX}retries_total`, help: 'In-process retries of transient handler failures (database, Kubernetes API, apply timeout).', registers }),
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
