/**
 * Manual profiling without a profiler: where an agent process spends wall time per step.
 * `wrap` times every call of an object's async methods into a shared table; the table is
 * plain data so it crosses IPC and merges by adding.
 */
export type StepTimes = Record<string, { count: number; totalMs: number }>;

export class StepTimer {
  readonly steps: StepTimes = {};

  add(step: string, ms: number): void {
    const s = (this.steps[step] ??= { count: 0, totalMs: 0 });
    s.count++;
    s.totalMs += ms;
  }

  async time<T>(step: string, work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.add(step, performance.now() - t0);
    }
  }

  /** The same object with each listed async method timed as `<prefix>.<method>`. */
  wrap<T extends object>(prefix: string, target: T, methods: ReadonlyArray<keyof T & string>): T {
    const out = Object.create(target) as T;
    for (const m of methods) {
      const fn = target[m] as unknown as (...a: unknown[]) => Promise<unknown>;
      (out as Record<string, unknown>)[m] = (...args: unknown[]) => this.time(`${prefix}.${m}`, () => fn.apply(target, args));
    }
    return out;
  }
}

/** Adds b into a. */
export function mergeSteps(a: StepTimes, b: StepTimes): StepTimes {
  for (const [k, v] of Object.entries(b)) {
    const s = (a[k] ??= { count: 0, totalMs: 0 });
    s.count += v.count;
    s.totalMs += v.totalMs;
  }
  return a;
}

/** Mean milliseconds per call, rounded to 0.1, by step. */
export function meanPerCall(steps: StepTimes): Record<string, { count: number; meanMs: number }> {
  return Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, { count: v.count, meanMs: v.count ? Math.round((v.totalMs / v.count) * 10) / 10 : 0 }]));
}
