import type { Sequelize } from 'sequelize';
import { startPollers } from '../baseline.js';
import { startDbOnlyPublisher } from '../inproc-publisher.js';
import { measureQps } from '../counters.js';
import type { BenchEnv } from '../env.js';
import { phase } from '../progress.js';
import { insertInterfaces, insertNodes, insertSubnets, markAllPending, resetTables, type RowSpec } from '../seed.js';
import type { Running } from './pipeline.js';

export interface ScanPoint {
  nodes: number;
  rows: number;
  /** Seconds from start to the first finished cycle (lock, node listing, first poll). */
  publisherStartSeconds: number;
  /** Events the publisher handed to the broker during the with-work window. */
  published: number;
  publisherIdleQps: number;
  publisherWorkQps: number;
  /** Rows the server read for the publisher per second, idle and with work. */
  publisherIdleRowsRead: number;
  publisherWorkRowsRead: number;
  /** The per-node polling baseline at T = 1 s over the same rows (all pending). */
  pollingT1Qps: number;
}

/**
 * The publisher's database load against the node count, through its real poll, SQL and
 * lock code with a broker that confirms at once (see inproc-publisher.ts). For each size: every row
 * configured (idle: nothing pending), then every row pending again with no agent
 * consuming (with work: the publisher publishes each row once and keeps polling the
 * pending page). The per-node pollers (T = 1 s) run over the same pending rows for the
 * same window.
 */
export async function runScan(db: Sequelize, env: BenchEnv, running: Running, o: { sizes: number[]; interfaces: number; windowMs: number }): Promise<ScanPoint[]> {
  const out: ScanPoint[] = [];
  for (const nodes of o.sizes) {
    phase(`publisher database load at ${nodes} nodes x ${o.interfaces} interfaces`);
    await resetTables(db);
    const at = new Date(Date.now() - 60_000);
    await insertSubnets(db, o.interfaces, at);
    await insertNodes(db, 0, nodes, at);
    const specs: RowSpec[] = [];
    for (let n = 0; n < nodes; n++) for (let j = 0; j < o.interfaces; j++) specs.push({ n, j, version: 0 });
    await insertInterfaces(db, specs, at, 1);
    const t0 = Date.now();
    const publisher = await startDbOnlyPublisher({ db: env.users.publisher, lockName: env.lockName });
    running.stopPublisher = () => void publisher.stop();
    try {
      const publisherStartSeconds = Math.round((Date.now() - t0) / 100) / 10;
      process.stderr.write(`  publisher ready after ${publisherStartSeconds} s; idle window ${o.windowMs / 1000} s\n`);
      const idle = await measureQps(env.admin, env.users.publisher.user, o.windowMs);
      await markAllPending(db, new Date());
      process.stderr.write(`  all ${specs.length} rows pending; with-work window ${o.windowMs / 1000} s (publisher and T=1 s pollers)\n`);
      const pollers = await startPollers({ db: env.users.poller, nodes, periodMs: 1_000 });
      const [work, polling] = await Promise.all([
        measureQps(env.admin, env.users.publisher.user, o.windowMs),
        new Promise<Awaited<ReturnType<typeof measureQps>>>((r) => setTimeout(r, 1_000)).then(() => measureQps(env.admin, env.users.poller.user, o.windowMs - 1_000)),
      ]);
      await pollers.stop();
      out.push({
        nodes, rows: specs.length, publisherStartSeconds, published: publisher.published(),
        publisherIdleQps: idle.qps, publisherWorkQps: work.qps,
        publisherIdleRowsRead: idle.rowsReadPerSecond, publisherWorkRowsRead: work.rowsReadPerSecond,
        pollingT1Qps: polling.qps,
      });
      process.stderr.write(`  publisher ${idle.qps} q/s idle, ${work.qps} q/s with work; per-node polling T=1 s ${polling.qps} q/s\n`);
    } finally {
      await publisher.stop();
      running.stopPublisher = undefined;
    }
  }
  return out;
}
