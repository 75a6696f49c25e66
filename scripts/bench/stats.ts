import * as hdr from 'hdr-histogram-js';

/** Percentiles of one latency distribution, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Latencies in an HDR histogram (1 ms .. 1 h, 3 significant digits), so percentiles stay
 * exact to 0.1 % whatever the sample count; values below 1 ms are recorded as 1 ms.
 */
export class LatencyRecorder {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });

  record(ms: number): void {
    this.h.recordValue(Math.min(3_600_000, Math.max(1, Math.round(ms))));
  }

  summary(): LatencySummary {
    const h = this.h;
    if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    return {
      count: h.totalCount,
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      max: h.maxValue,
      mean: Math.round(h.mean),
    };
  }
}

/** Builds a summary from raw samples (the baseline and tests). */
export function summarize(samples: readonly number[]): LatencySummary {
  const r = new LatencyRecorder();
  for (const s of samples) r.record(s);
  return r.summary();
}

/** a / b rounded for a table, or null when b is zero (a ratio against nothing says nothing). */
export function ratio(a: number, b: number): number | null {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  const r = a / b;
  return r >= 10 ? Math.round(r) : Math.round(r * 10) / 10;
}

/** Events per second over a window; 0 for an empty window. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000 * 10) / ms) / 10 : 0;
}

/** Pads cells into an aligned plain-text table (first column left, the rest right). */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
