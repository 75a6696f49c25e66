/** Parameters of `backoffDelay`; `random` is injected so tests need no fake randomness. */
export interface BackoffOptions {
  /** Cap of the first retry's delay (attempt 0), in ms. Default 200. */
  baseMs?: number;
  /** No delay ever exceeds this, however many attempts, in ms. Default 10 000. */
  maxMs?: number;
  /** A source of numbers in [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): exponential growth of the
 * cap (`baseMs * 2^attempt`, never above `maxMs`) with full jitter, so agents that failed
 * together (a database failover) do not retry in lock-step. Pure: same inputs, same answer.
 */
export function backoffDelay(attempt: number, { baseMs = 200, maxMs = 10_000, random = Math.random }: BackoffOptions = {}): number {
  // Beyond 2^52 the cap is maxMs anyway; clamping also turns Infinity into a number and NaN into 0.
  const n = attempt > 0 ? Math.floor(Math.min(attempt, 52)) : 0;
  const cap = Math.min(maxMs, baseMs * 2 ** n);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(cap, Math.floor(r * cap));
}
