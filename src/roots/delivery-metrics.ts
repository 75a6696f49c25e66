import type { AgentMetrics } from '../http/metrics.js';
import type { DeliveryObserver } from '../runtime/observer.js';

/**
 * The agent's Prometheus metrics as a subscriber of the queue trigger: each settled
 * message counts in `multinic_events_total` by kind and outcome (and in
 * `multinic_dead_letters_total` by reason when it ends in multinic.dead), each handler
 * try in `multinic_apply_duration_seconds`, each in-process retry in `multinic_retries_total`.
 */
export function deliveryMetrics(metrics: AgentMetrics): DeliveryObserver {
  return {
    attempted: ({ kind, ok, seconds }) => metrics.applyDuration.observe({ type: kind, result: ok ? 'ok' : 'error' }, seconds),
    retrying: () => metrics.retries.inc(),
    settled: ({ kind, outcome, deadLetter }) => {
      metrics.events.inc({ type: kind, outcome });
      if (deadLetter) metrics.deadLetters.inc({ reason: deadLetter });
    },
  };
}
