import { markSuccess, Operation, type AgentMetrics } from '../http/metrics.js';
import type { InterfaceEvent } from '../events/types.js';
import type { HandlerOutcome } from '../model/ports.js';
import { DeadLetterReason, type DeliveryObserver } from '../runtime/observer.js';

/**
 * The agent's Prometheus metrics as a subscriber of the queue trigger: each settled
 * message counts in `multinic_events_total` by kind and outcome (and in
 * `multinic_dead_letters_total` by reason when it ends in multinic.dead), each handler
 * try in `multinic_handler_duration_seconds` (a successful one also sets
 * `multinic_last_success_timestamp_seconds{operation="event"}`), each in-process retry in
 * `multinic_retries_total`. Every dead-letter reason starts at 0, so the series exists (and
 * `increase()` sees the first one) before anything was dead-lettered.
 */
export function deliveryMetrics(metrics: AgentMetrics, now: () => Date = () => new Date()): DeliveryObserver {
  for (const reason of Object.values(DeadLetterReason)) metrics.deadLetters.inc({ reason }, 0);
  return {
    attempted: ({ kind, ok, seconds }) => {
      metrics.handlerDuration.observe({ type: kind, result: ok ? 'ok' : 'error' }, seconds);
      if (ok) markSuccess(metrics.lastSuccess, Operation.Event, now());
    },
    retrying: () => metrics.retries.inc(),
    settled: ({ kind, outcome, deadLetter }) => {
      metrics.events.inc({ type: kind, outcome });
      if (deadLetter) metrics.deadLetters.inc({ reason: deadLetter });
    },
  };
}

/**
 * Records `multinic_row_to_configured_seconds{type}` for a handler outcome that changed the
 * host (`configured` or `removed`): now minus the event's generation (the row's version,
 * ms since the epoch), at least 0 since the database's clock may run ahead of the node's.
 * An outcome that changed nothing (unchanged, absent, stale) was configured earlier or never.
 */
export function observeRowToConfigured(metrics: Pick<AgentMetrics, 'rowToConfigured'>, event: InterfaceEvent, outcome: HandlerOutcome, now: Date = new Date()): void {
  if (outcome.result !== 'configured' && outcome.result !== 'removed') return;
  const type = outcome.result === 'configured' ? 'attach' : 'detach';
  metrics.rowToConfigured.observe({ type }, Math.max(0, now.getTime() - event.data.generation) / 1000);
}
