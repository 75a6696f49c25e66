import { Counter, Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './metrics.js';

/** One probe attempt as src/host/probes.ts reports it (its ProbeObserver's `result`). */
export interface ProbeAttempt {
  kind: string;
  phase: 'before' | 'after';
  ok: boolean;
  seconds: number;
}

/**
 * The probe gate's metrics (issue 11), new families beside the agent's:
 * `multinic_probe_attempts_total{probe, phase, result}` and
 * `multinic_probe_duration_seconds{probe}`. `probe` is the kind (`gateway`, `api-server`,
 * `routes`), never an address, so the label set stays small. Returns the observer's `result`.
 */
export function createProbeMetrics(registry: Registry): { result(e: ProbeAttempt): void } {
  const registers = [registry];
  const attempts = new Counter({
    name: `${METRIC_PREFIX}probe_attempts_total`,
    help: 'Probe attempts around netplan/NetworkManager applies, by probe kind, phase (before/after the apply) and result (pass/fail).',
    labelNames: ['probe', 'phase', 'result'],
    registers,
  });
  const duration = new Histogram({
    name: `${METRIC_PREFIX}probe_duration_seconds`,
    help: 'Time one probe attempt took, by probe kind.',
    labelNames: ['probe'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  return {
    result: ({ kind, phase, ok, seconds }) => {
      attempts.inc({ probe: kind, phase, result: ok ? 'pass' : 'fail' });
      duration.observe({ probe: kind }, seconds);
    },
  };
}
