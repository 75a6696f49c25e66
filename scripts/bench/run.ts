/**
 * `npm run bench`: MultiNIC's latency, throughput, database load and footprint, side by
 * side with per-node polling, on a throwaway database and vhost of its own (removed at
 * the end, also on Ctrl-C). Last, the lab phase runs the agents on real NICs with the real
 * `netplan apply` (phases/lab-phase.ts; needs root; its lab is removed at the end, on Ctrl-C
 * and on exit). See scripts/bench/report.ts (METHODS) for how each figure is measured; flags
 * in scripts/bench/options.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { enableUserStats, restoreUserStats } from './counters.js';
import { createBenchEnv, type BenchEnv } from './env.js';
import { parseBenchArgs, USAGE, type BenchOptions } from './options.js';
import type { Sequelize } from 'sequelize';
import { runBaseline } from './phases/baseline-phase.js';
import { buildForFootprint, IMAGE_NODE_OPTIONS, measureSingleAgent } from './phases/footprint.js';
import { runPipeline, type Running } from './phases/pipeline.js';
import { Lab, LabUnavailableError } from '../../src/lab/index.js';
import { BENCH_LAB_TAG, runLabPhase } from './phases/lab-phase.js';
import { runScan } from './phases/scan.js';
import { phase } from './progress.js';
import { formatResults, METHODS, type BenchResults } from './report.js';
import { formatComparison, latestResults } from './compare.js';
import { insertNodes, insertSubnets, resetTables } from './seed.js';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const o = parsed;
  if (!o.skipLab) {
    // Fail in a second, not after the sandbox phases' minutes, where the lab phase cannot run.
    const why = await labUnavailable();
    if (why) {
      process.stderr.write(`multinic bench: the lab phase cannot run here (${why}); run as root with the lab's packages, or pass --skip-lab\n`);
      process.exitCode = 2;
      return;
    }
  }
  const startedAt = new Date();
  const loadBefore = loadavg();
  // Each simulated node has its own disk in reality; 100 of them fsyncing on this VM's one
  // disk would measure the disk. tmpfs (when present) keeps the file work and drops that.
  const rootDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'multinic-bench-'));
  if (o.cpuProfDir) await mkdir(o.cpuProfDir, { recursive: true });
  process.stderr.write(`multinic bench: ${o.nodes} nodes x ${o.interfaces} interfaces on ${cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; logs in ${rootDir}\n`);

  const running: Running = {};
  let env: BenchEnv | undefined;
  let userstat: string | undefined;
  const teardown = async () => {
    running.fleet?.kill();
    running.stopPublisher?.();
    await running.lab?.stop();
    if (env && userstat !== undefined) await restoreUserStats(env.admin, userstat).catch(() => undefined);
    await env?.close();
  };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: removing the bench database, vhost and users...\n`);
    void teardown()
      .then(() => rm(rootDir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    phase('set-up: throwaway database (migrated), users per role, vhost');
    env = await createBenchEnv();
    userstat = await enableUserStats(env.admin);
    const db = env.database.sequelize;
    const at = new Date(Date.now() - 60_000);
    await resetTables(db);
    await insertSubnets(db, o.interfaces, at);
    await insertNodes(db, 0, Math.max(o.nodes, 1), at);

    const previous = await latestResults(o.resultsDir, o.nodes, o.interfaces);
    const results: BenchResults = { single: [], pipelines: [], scan: [], baseline: [], lab: null };
    if (!o.labOnly) await runSandboxPhases(db, env, running, results, o, rootDir);
    if (!o.skipLab) results.lab = await runLabPhase(db, env, running, { singles: o.labSingles, burstNodes: o.labNodes, rootDir, processes: o.agentProcesses, batchSize: o.batchSize });

    const loadAfter = loadavg();
    phase('results');
    process.stdout.write(`${formatResults(results)}\n\n${formatComparison(results, previous)}\n`);
    const day = startedAt.toISOString().slice(0, 10);
    const size = o.labOnly ? `lab-${o.labNodes}x8` : `${o.nodes}x${o.interfaces}`;
    const file = join(o.resultsDir, `${day}-${size}${o.label ? `-${o.label}` : ''}.json`);
    await mkdir(o.resultsDir, { recursive: true });
    await writeFile(
      file,
      `${JSON.stringify(
        {
          date: startedAt.toISOString(),
          machine: { cores: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}`, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
          parameters: o,
          methods: METHODS,
          results,
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`\nresults written to ${file}\n`);
    await rm(rootDir, { recursive: true, force: true });
  } catch (err) {
    process.stderr.write(`\nbench failed: ${(err as Error).stack ?? String(err)}\nlogs kept in ${rootDir}\n`);
    process.exitCode = 1;
  } finally {
    if (!interrupted) await teardown();
  }
}

/** Why no network lab can be built here (not root, no namespaces, a binary missing), or undefined when one can. */
async function labUnavailable(): Promise<string | undefined> {
  try {
    await (await Lab.start({ tag: BENCH_LAB_TAG, exitOnSignal: false })).stop();
    return undefined;
  } catch (err) {
    if (err instanceof LabUnavailableError) return err.message;
    throw err;
  }
}

/** The phases on fake NICs: one agent's footprint, the pipelines per apply mode, the polling baseline, the publisher's DB-load scan. */
async function runSandboxPhases(db: Sequelize, env: BenchEnv, running: Running, results: BenchResults, o: BenchOptions, rootDir: string): Promise<void> {
  phase('one `multinic agent` process alone: start -> consuming, idle RSS');
  const compiledMain = await buildForFootprint();
  // As before (compiled and tsx, log mode, no NODE_OPTIONS), then as the image runs it (its
  // NODE_OPTIONS, Dockerfile) in log mode and with the real Kubernetes client (api mode).
  const variants = [
    { entry: compiledMain, kubeMode: 'log' as const, nodeOptions: '' },
    { entry: undefined, kubeMode: 'log' as const, nodeOptions: '' },
    ...(compiledMain ? [{ entry: compiledMain, kubeMode: 'log' as const, nodeOptions: IMAGE_NODE_OPTIONS }, { entry: compiledMain, kubeMode: 'api' as const, nodeOptions: IMAGE_NODE_OPTIONS }] : []),
  ];
  for (const v of variants) {
    const s = await measureSingleAgent(env, { interfaces: o.interfaces, rootDir, settleMs: 5_000, cpuProfDir: o.cpuProfDir, compiledMain: v.entry, kubeMode: v.kubeMode, nodeOptions: v.nodeOptions });
    results.single.push(s);
    process.stderr.write(`  ${s.runtime}: consuming after ${s.startToConsumingMs} ms; idle RSS ${(s.idleRssBytes / 2 ** 20).toFixed(1)} MiB\n`);
  }

  for (const mode of o.modes) {
    await db.query('DELETE FROM multinic_port_state');
    await db.query('DELETE FROM multi_interface');
    const nodes = mode === 'netplan' && o.netplanNodes > 0 ? o.netplanNodes : o.nodes;
    results.pipelines.push(
      await runPipeline(db, env, running, {
        mode, nodes, interfaces: o.interfaces, processes: Math.min(o.agentProcesses, nodes), batchSize: o.batchSize, trickleRate: o.trickleRate, trickleSeconds: o.trickleSeconds,
        windowMs: o.windowSeconds * 1000, rootDir, cpuProfDir: o.cpuProfDir,
      }),
    );
  }
  if (!o.skipBaseline) results.baseline = await runBaseline(db, env, { periods: o.baselinePeriods, nodes: o.nodes, interfaces: o.interfaces });
  if (!o.skipScan) results.scan = await runScan(db, env, running, { sizes: o.scanNodes, interfaces: o.interfaces, windowMs: o.windowSeconds * 1000 });
}

await main();
