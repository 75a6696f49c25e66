import { join } from 'node:path';
import type { Sequelize } from 'sequelize';
import { startPublisherProcess } from '../cli-process.js';
import { measureQps, readCounters, queriesPerSecond } from '../counters.js';
import type { BenchEnv } from '../env.js';
import { changeKey, nodeName, portId } from '../fixture.js';
import { AgentFleet, type FleetMemory } from '../fleet.js';
import type { ApplyMode } from '../options.js';
import { phase, Progress } from '../progress.js';
import { countPending, insertInterfaces, updateAddress, type RowSpec } from '../seed.js';
import { meanPerCall } from '../timing.js';
import { LatencyRecorder, perSecond, type LatencySummary } from '../stats.js';

export interface LoadFigures {
  latencyMs: LatencySummary;
  rows: number;
  configured: number;
  /** Interfaces configured per second: rows / (last write-back - commit). */
  throughputPerSecond: number;
  durationMs: number;
  /** Statement rate of the publisher's DB user during this load. */
  publisherQps: number;
  /** Agent statements per configured interface (all agents' DB user, during this load). */
  agentStatementsPerInterface: number;
  /** Applies each node ran during this load (netplan apply, here the sandbox apply): mean and most. */
  appliesPerNode: { mean: number; max: number };
}

export interface PipelineFigures {
  mode: ApplyMode;
  nodes: number;
  interfaces: number;
  agentProcesses: number;
  batchSize: number;
  agentStartToConsumingMs: LatencySummary;
  agentMemoryIdle: FleetMemory;
  agentMemoryPeak: FleetMemory;
  burst: LoadFigures;
  trickle: LoadFigures & { ratePerSecond: number };
  publisherIdleQps: number;
  pendingAfter: number;
  /** Mean wall time per agent step over the whole phase (manual timing in the agent processes). */
  agentSteps: Record<string, { count: number; meanMs: number }>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Holds what Ctrl-C must tear down while a phase runs. */
export interface Running {
  fleet?: AgentFleet;
  stopPublisher?: () => void;
  /** The lab phase's network lab (src/lab), removed on Ctrl-C too. */
  lab?: { stop(): Promise<void> };
}

/**
 * One apply mode end to end: agents for every node (consuming, resync done), the real
 * publisher process, then a burst (every row INSERTed at once, pending) and a trickle
 * (rows moved to a new address at a steady rate); latency from each write's commit to the
 * agent's write-back of netplan_success = 1 for that row version.
 */
export async function runPipeline(
  db: Sequelize,
  env: BenchEnv,
  running: Running,
  o: { mode: ApplyMode; nodes: number; interfaces: number; processes: number; batchSize: number; trickleRate: number; trickleSeconds: number; windowMs: number; rootDir: string; cpuProfDir?: string },
): Promise<PipelineFigures> {
  phase(`MultiNIC pipeline, apply mode "${o.mode}": ${o.nodes} nodes x ${o.interfaces} interfaces, agents in ${o.processes} processes`);
  const fleet = await AgentFleet.start({
    db: env.users.agent, amqpUrl: env.vhost.url, nodes: o.nodes, interfaces: o.interfaces, processes: o.processes, mode: o.mode, batchSize: o.batchSize,
    rootDir: o.rootDir, cpuProfDir: o.cpuProfDir, logFile: join(o.rootDir, `agents-${o.mode}.log`),
  });
  running.fleet = fleet;
  const startup = new LatencyRecorder();
  for (const ms of fleet.startToConsumingMs) startup.record(ms);
  await sleep(2_000);
  const agentMemoryIdle = fleet.memoryNow();
  process.stderr.write(`  ${o.nodes} agents consuming; idle RSS ${(agentMemoryIdle.rssBytes / 2 ** 20).toFixed(0)} MiB in ${agentMemoryIdle.processes} processes\n`);

  const publisher = await startPublisherProcess({ db: env.users.publisher, amqpUrl: env.vhost.url, lockName: env.lockName, logFile: join(o.rootDir, `publisher-${o.mode}.log`), cpuProfDir: o.cpuProfDir });
  running.stopPublisher = () => publisher.kill();
  try {
    fleet.resetPeak();
    const specs: RowSpec[] = [];
    for (let n = 0; n < o.nodes; n++) for (let j = 0; j < o.interfaces; j++) specs.push({ n, j, version: 0 });

    // Burst: all rows in a few multi-row INSERTs.
    const at = new Date();
    const load = async (label: string, write: () => Promise<Array<{ key: string; commit: number }>>, timeoutMs: number) => {
      const pubBefore = await readCounters(env.admin, env.users.publisher.user);
      const agentBefore = await readCounters(env.admin, env.users.agent.user);
      const appliesBefore = fleet.appliesByNode();
      const t0 = Date.now();
      const changes = await write();
      const bar = new Progress(label, changes.length);
      const ok = await fleet.waitFor(changes.map((c) => c.key), timeoutMs, (d) => bar.update(d));
      bar.done(ok ? '' : '(timed out)');
      // The applies are sampled every 250 ms: wait for one more sample after the last write-back.
      await sleep(400);
      const appliesAfter = fleet.appliesByNode();
      const perNode = Array.from({ length: o.nodes }, (_, n) => (appliesAfter.get(nodeName(n)) ?? 0) - (appliesBefore.get(nodeName(n)) ?? 0));
      const pubAfter = await readCounters(env.admin, env.users.publisher.user);
      const agentAfter = await readCounters(env.admin, env.users.agent.user);
      const rec = new LatencyRecorder();
      let last = 0;
      let configured = 0;
      const first = Math.min(...changes.map((c) => c.commit));
      for (const c of changes) {
        const w = fleet.written.get(c.key);
        if (w === undefined) continue;
        configured++;
        rec.record(w - c.commit);
        last = Math.max(last, w);
      }
      const agentStatements = agentAfter.select - agentBefore.select + (agentAfter.update - agentBefore.update) + (agentAfter.other - agentBefore.other);
      return {
        latencyMs: rec.summary(),
        rows: changes.length,
        configured,
        throughputPerSecond: perSecond(configured, last - first),
        durationMs: last - first,
        publisherQps: queriesPerSecond(pubBefore, pubAfter, Date.now() - t0),
        agentStatementsPerInterface: configured ? Math.round((agentStatements / configured) * 10) / 10 : 0,
        appliesPerNode: { mean: Math.round((perNode.reduce((a, b) => a + b, 0) / o.nodes) * 10) / 10, max: Math.max(...perNode) },
      };
    };
    const burst = await load(
      'burst',
      async () => {
        const commits = await insertInterfaces(db, specs, at, 0);
        return specs.map((s, i) => ({ key: changeKey(portId(s.n, s.j), at.getTime()), commit: commits[i]! }));
      },
      300_000,
    );
    const agentMemoryPeak = fleet.peakMemory();

    // Trickle: one row at a time to a new address, at a steady rate; each row at most once.
    const count = Math.min(specs.length, o.trickleRate * o.trickleSeconds);
    const trickle = await load(
      `trickle ${o.trickleRate}/s`,
      async () => {
        const out: Array<{ key: string; commit: number }> = [];
        const t0 = Date.now();
        for (let i = 0; i < count; i++) {
          const due = t0 + (i * 1000) / o.trickleRate;
          if (due > Date.now()) await sleep(due - Date.now());
          const s = { ...specs[(i * 7919) % specs.length]!, version: 1 };
          const when = new Date();
          const commit = await updateAddress(db, s, when);
          out.push({ key: changeKey(portId(s.n, s.j), when.getTime()), commit });
        }
        return out;
      },
      120_000,
    );

    await sleep(1_500);
    const idle = await measureQps(env.admin, env.users.publisher.user, o.windowMs);
    return {
      mode: o.mode, nodes: o.nodes, interfaces: o.interfaces, agentProcesses: o.processes, batchSize: o.batchSize,
      agentStartToConsumingMs: startup.summary(), agentMemoryIdle, agentMemoryPeak,
      burst, trickle: { ...trickle, ratePerSecond: o.trickleRate },
      publisherIdleQps: idle.qps,
      pendingAfter: await countPending(db),
      agentSteps: meanPerCall(fleet.stepTimes()),
    };
  } finally {
    await publisher.stop();
    running.stopPublisher = undefined;
    await fleet.stop();
    running.fleet = undefined;
  }
}
