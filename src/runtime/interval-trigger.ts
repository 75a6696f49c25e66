import { reasonOf } from '../errors/classify.js';
import type { Log } from '../log/logger.js';

/** Runs a function every `intervalMs`; see `createIntervalTrigger`. */
export interface IntervalTrigger {
  /** Runs at once, then `intervalMs` after each run ends. Idempotent. */
  start(): void;
  /** No further runs; resolves when the run in hand has finished. */
  stop(): Promise<void>;
  /**
   * Runs now (after the run in hand, if any) and resolves when that run has finished;
   * the next scheduled run follows `intervalMs` later. Works on a stopped trigger too.
   */
  runNow(): Promise<void>;
}

export interface IntervalTriggerOptions {
  intervalMs: number;
  log: Pick<Log, 'info' | 'error' | 'debug'>;
  /** Names the work in log lines, e.g. `publisher poll`. */
  name: string;
  /** Timer functions; tests may pass their own. Defaults to the global ones. */
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (handle: unknown) => void };
}

/**
 * The interval trigger of the serverless-style runtime: it invokes `fn` on a fixed delay
 * between runs, never two at once (a slow run delays the next instead of piling up), and
 * turns failures into log lines — one per distinct failure, plus one when it clears — so
 * a database away for an hour neither crashes the loop nor floods the log. The publisher's
 * poll and the agent's resync both run under it.
 */
export function createIntervalTrigger(fn: () => Promise<unknown>, { intervalMs, log, name, timers }: IntervalTriggerOptions): IntervalTrigger {
  const t = timers ?? {
    setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  };
  let stopped = true;
  /** Set by stop(): a follow-up run requested during the last run is dropped. */
  let halted = false;
  let timer: unknown;
  let inFlight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let lastFailure: string | undefined;

  const cancelTimer = () => {
    if (timer !== undefined) t.clearTimeout(timer);
    timer = undefined;
  };
  const schedule = () => {
    cancelTimer();
    if (!stopped) timer = t.setTimeout(() => void tick(), intervalMs);
  };

  async function runOnce(): Promise<void> {
    try {
      await fn();
      if (lastFailure !== undefined) log.info({ trigger: name }, `${name} recovered`);
      lastFailure = undefined;
    } catch (err) {
      const reason = reasonOf(err);
      if (reason !== lastFailure) log.error({ trigger: name, err }, `${name} failed: ${reason}; retrying every ${intervalMs} ms`);
      else log.debug({ trigger: name, reason }, `${name} still failing`);
      lastFailure = reason;
    }
  }

  function tick(): Promise<void> {
    if (inFlight) {
      // One follow-up run covers any number of requests made during the run in hand.
      queued ??= inFlight.then(() => {
        queued = undefined;
        return halted ? undefined : tick();
      });
      return queued;
    }
    cancelTimer();
    inFlight = runOnce().finally(() => {
      inFlight = undefined;
      schedule();
    });
    return inFlight;
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      halted = false;
      void tick();
    },
    async stop() {
      stopped = true;
      halted = true;
      cancelTimer();
      await queued;
      await inFlight;
    },
    runNow: tick,
  };
}
