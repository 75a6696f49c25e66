import type { Sequelize } from 'sequelize';
import { MAX_CONNECTIONS, startPollers } from '../baseline.js';
import { readCounters, queriesPerSecond } from '../counters.js';
import type { BenchEnv } from '../env.js';
import { portId } from '../fixture.js';
import { phase, Progress } from '../progress.js';
import { insertInterfaces, type RowSpec } from '../seed.js';
import { LatencyRecorder, type LatencySummary } from '../stats.js';

export interface BaselinePoint {
  periodSeconds: number;
  nodes: number;
  connections: number;
  /** Row commit -> the first poll of its node that returns it. */
  latencyMs: LatencySummary;
  seen: number;
  rows: number;
  qps: number;
}

/**
 * Per-node polling at each period T: pollers start with random phases, then every row is
 * INSERTed at once (the same burst MultiNIC gets); the window lasts until every row was
 * seen (about T), and the pollers' statement rate comes from the server's counters.
 */
export async function runBaseline(db: Sequelize, env: BenchEnv, o: { periods: number[]; nodes: number; interfaces: number }): Promise<BaselinePoint[]> {
  const out: BaselinePoint[] = [];
  for (const t of o.periods) {
    phase(`baseline: per-node polling every ${t} s, ${o.nodes} pollers`);
    await db.query('DELETE FROM multi_interface');
    const pollers = await startPollers({ db: env.users.poller, nodes: o.nodes, periodMs: t * 1000 });
    try {
      // Let every poller reach its steady schedule so the counter window sees the steady rate.
      await new Promise((r) => setTimeout(r, t * 1000));
      const before = await readCounters(env.admin, env.users.poller.user);
      const t0 = Date.now();
      const specs: RowSpec[] = [];
      for (let n = 0; n < o.nodes; n++) for (let j = 0; j < o.interfaces; j++) specs.push({ n, j, version: 0 });
      const commits = await insertInterfaces(db, specs, new Date(), 0);
      const bar = new Progress(`T=${t}s seen`, specs.length);
      const deadline = Date.now() + t * 1000 + 10_000;
      while (pollers.seen.size < specs.length && Date.now() < deadline) {
        bar.update(pollers.seen.size);
        await new Promise((r) => setTimeout(r, 200));
      }
      // Whole periods only, so the rate is not biased by where the window ends.
      const windowEnd = t0 + Math.max(1, Math.ceil((Date.now() - t0) / (t * 1000))) * t * 1000;
      if (windowEnd > Date.now()) await new Promise((r) => setTimeout(r, windowEnd - Date.now()));
      bar.done();
      const after = await readCounters(env.admin, env.users.poller.user);
      const rec = new LatencyRecorder();
      specs.forEach((s, i) => {
        const seen = pollers.seen.get(portId(s.n, s.j));
        if (seen !== undefined) rec.record(seen - commits[i]!);
      });
      out.push({
        periodSeconds: t, nodes: o.nodes, connections: Math.min(MAX_CONNECTIONS, o.nodes),
        latencyMs: rec.summary(), seen: pollers.seen.size, rows: specs.length,
        qps: queriesPerSecond(before, after, Date.now() - t0),
      });
    } finally {
      await pollers.stop();
    }
  }
  return out;
}
