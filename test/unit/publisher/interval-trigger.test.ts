import { expect } from 'chai';
import { createRingLogger } from '../../../src/log/logger.js';
import { createIntervalTrigger } from '../../../src/runtime/interval-trigger.js';

/** Timers a test fires by hand, so no test waits on the clock. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    timers: {
      setTimeout: (fn: () => void) => {
        pending.set(++next, fn);
        return next;
      },
      clearTimeout: (h: unknown) => void pending.delete(h as number),
    },
    count: () => pending.size,
    fire() {
      const [id, fn] = [...pending][0] ?? [];
      if (id === undefined) throw new Error('no timer pending');
      pending.delete(id);
      fn!();
    },
  };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('createIntervalTrigger', () => {
  it('runs at start, then once per interval after each run ends', async () => {
    const t = manualTimers();
    let runs = 0;
    const trigger = createIntervalTrigger(async () => void runs++, { intervalMs: 1000, log: createRingLogger().log, name: 'job', timers: t.timers });
    trigger.start();
    await tick();
    expect(runs).to.equal(1);
    expect(t.count()).to.equal(1);
    t.fire();
    await tick();
    expect(runs).to.equal(2);
    await trigger.stop();
    expect(t.count()).to.equal(0);
  });

  it('never overlaps runs: runNow during a run queues one follow-up', async () => {
    const t = manualTimers();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const trigger = createIntervalTrigger(
      async () => {
        active++;
        runs++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => (release = r));
        active--;
      },
      { intervalMs: 1000, log: createRingLogger().log, name: 'job', timers: t.timers },
    );
    trigger.start();
    const a = trigger.runNow();
    const b = trigger.runNow();
    release();
    await tick();
    release();
    await Promise.all([a, b]);
    expect(maxActive).to.equal(1);
    expect(runs).to.equal(2);
    await trigger.stop();
  });

  it('logs each distinct failure once, keeps running, and logs the recovery', async () => {
    const { log, records } = createRingLogger();
    let fail: string | undefined = 'db down';
    const trigger = createIntervalTrigger(async () => {
      if (fail) throw new Error(fail);
    }, { intervalMs: 1000, log, name: 'job', timers: manualTimers().timers });
    await trigger.runNow();
    await trigger.runNow();
    fail = 'broker down';
    await trigger.runNow();
    fail = undefined;
    await trigger.runNow();
    const msgs = records().filter((r) => (r.level as number) >= 30).map((r) => String(r.msg));
    expect(msgs).to.have.length(3);
    expect(msgs[0]).to.match(/job failed: Error: db down/);
    expect(msgs[1]).to.match(/broker down/);
    expect(msgs[2]).to.match(/recovered/);
  });

  it('stop() waits for the run in hand and schedules nothing after it', async () => {
    const t = manualTimers();
    let release!: () => void;
    let done = false;
    const trigger = createIntervalTrigger(
      async () => {
        await new Promise<void>((r) => (release = r));
        done = true;
      },
      { intervalMs: 1000, log: createRingLogger().log, name: 'job', timers: t.timers },
    );
    trigger.start();
    const stopped = trigger.stop();
    release();
    await stopped;
    expect(done).to.equal(true);
    expect(t.count()).to.equal(0);
  });
});
