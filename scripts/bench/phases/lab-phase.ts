import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Sequelize } from 'sequelize';
import { Lab, type LabNode } from '../../../src/lab/index.js';
import type { LabPlace } from '../agent-host.js';
import { startPublisherProcess } from '../cli-process.js';
import type { BenchEnv } from '../env.js';
import { address, cidr, mac, nodeName, portId } from '../fixture.js';
import { AgentFleet } from '../fleet.js';
import { KernelWatch, type KernelTarget } from '../kernel-watch.js';
import { phase, Progress } from '../progress.js';
import { insertInterfaces, insertNodes, insertSubnets, resetTables, type RowSpec } from '../seed.js';
import { LatencyRecorder, summarize, type LatencySummary } from '../stats.js';
import type { Running } from './pipeline.js';

/** Prefix of the bench lab's namespaces and folder (src/lab). */
export const BENCH_LAB_TAG = 'dmb';
/** Interfaces per lab node: what one VM receiving a burst of ports gets in the case. */
export const LAB_INTERFACES = 8;

/** One scenario of the lab phase, judged by the kernel. */
export interface LabScenarioFigures {
  name: string;
  nodes: number;
  rows: number;
  /** Rows whose address the kernel showed on the NIC with the row's MAC before the timeout. */
  kernelConfigured: number;
  /** At the end, `ip -j addr` in each node: NICs named multinicN, UP, with the row's address. */
  verified: number;
  wrong: string[];
  /** Row commit -> `ip monitor` shows the row's address added to its NIC. */
  rowToKernelMs: LatencySummary;
  /** Row commit -> the agent's write-back of netplan_success = 1 returned. */
  rowToWriteBackMs: LatencySummary;
  /** Runs of the real `netplan apply` argv per node in this scenario. */
  appliesPerNode: { min: number; mean: number; max: number };
  /** Wall time of each apply run (nsenter + netplan apply in the node). */
  applyMs: LatencySummary;
  /** Time spent inside apply per node, summed over its runs. */
  applyTotalPerNodeMs: { mean: number; max: number };
  failedApplies: number;
  /** `ip monitor` records of each node's primary NIC (ens3, foreign) during the scenario: mean per node. */
  primaryEventsPerNode: number;
}

export interface LabFigures {
  versions: string;
  scenarios: LabScenarioFigures[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function versions(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Package} ${Version}; ', 'netplan.io', 'systemd', 'iproute2'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown (no dpkg-query)';
  }
}

/**
 * The lab phase (issue 10 point 7): MultiNIC end to end on real NICs. A network lab (src/lab)
 * with one node per simulated node, each with LAB_INTERFACES hot-plugged veth NICs carrying
 * the fixture's MACs; the agents' real parts in agent processes on the host, acting on their
 * lab node (its /etc/netplan, its sysfs, the real `netplan generate`, the real `netplan apply`
 * inside it, counted and timed); the real publisher process with its default poll (250 ms).
 * Scenarios, on separate nodes of one lab, one after another:
 * - `idle single attach`: `singles` rows for node 0, each written once the previous one is in
 *   the kernel and the node has idled 1 s;
 * - `burst 1 x 8`: node 1 receives LAB_INTERFACES rows in one INSERT;
 * - `burst N x 8`: `burstNodes` further nodes receive LAB_INTERFACES rows each, in one INSERT.
 * The database's tables are reset to this fixture first. The lab goes in `finally` (and on exit).
 */
export async function runLabPhase(
  db: Sequelize,
  env: BenchEnv,
  running: Running,
  o: { singles: number; burstNodes: number; rootDir: string; processes: number; batchSize: number },
): Promise<LabFigures> {
  const total = 2 + o.burstNodes;
  phase(`lab: real NICs, real netplan apply: ${o.singles} single attaches on an idle node, a burst of ${LAB_INTERFACES} on one node, ${o.burstNodes} nodes x ${LAB_INTERFACES}`);
  const at = new Date(Date.now() - 60_000);
  await resetTables(db);
  await insertSubnets(db, LAB_INTERFACES, at);
  await insertNodes(db, 0, total, at);

  const lab = await Lab.start({ tag: BENCH_LAB_TAG, exitOnSignal: false });
  running.lab = lab;
  let fleet: AgentFleet | undefined;
  let publisher: Awaited<ReturnType<typeof startPublisherProcess>> | undefined;
  let watch: KernelWatch | undefined;
  try {
    const nodes: LabNode[] = [];
    const bar = new Progress('lab nodes (namespaces, networkd, primary, 8 veth NICs each)', total);
    for (let n = 0; n < total; n++) {
      const node = await lab.addNode({ name: nodeName(n) });
      for (let j = 0; j < LAB_INTERFACES; j++) await node.plug({ mac: mac(n, j) });
      nodes.push(node);
      bar.update(n + 1);
    }
    bar.done();
    const places: Record<number, LabPlace> = {};
    nodes.forEach((node, n) => {
      places[n] = { netplanDir: node.netplanDir, sysfsNetDir: node.sysfsNetDir, applyCommand: node.applyCommand, enterCommand: node.enterCommand };
    });
    fleet = await AgentFleet.start({
      db: env.users.agent, amqpUrl: env.vhost.url, nodes: total, interfaces: LAB_INTERFACES, processes: Math.min(o.processes, total), mode: 'netplan', batchSize: o.batchSize,
      rootDir: o.rootDir, logFile: join(o.rootDir, 'agents-lab.log'), lab: places,
    });
    running.fleet = fleet;
    publisher = await startPublisherProcess({ db: env.users.publisher, amqpUrl: env.vhost.url, lockName: env.lockName, logFile: join(o.rootDir, 'publisher-lab.log') });
    running.stopPublisher = () => publisher?.kill();
    watch = await KernelWatch.start(nodes);
    await sleep(1_000);

    const target = (n: number, j: number): KernelTarget => ({ node: nodes[n]!, mac: mac(n, j), cidr: `${address(n, j)}/${cidr(j).split('/')[1]}` });
    const scenarios: LabScenarioFigures[] = [];

    // Idle single attaches: each row alone, on an idle node, with the default poll (250 ms).
    {
      const samples: Array<{ spec: RowSpec; commit: number }> = [];
      const t0 = Date.now();
      const bar1 = new Progress('idle single attach', o.singles);
      for (let j = 0; j < o.singles; j++) {
        const spec = { n: 0, j, version: 0 };
        const [commit] = await insertInterfaces(db, [spec], new Date(), 0);
        samples.push({ spec, commit: commit! });
        await watch.waitAll([target(0, j)], t0, 60_000);
        bar1.update(j + 1);
        await sleep(1_000);
      }
      bar1.done();
      scenarios.push(await figures(watch, fleet, { name: 'idle single attach', t0, nodeIndexes: [0], nodes, written: samples, targets: samples.map(({ spec }) => target(spec.n, spec.j)), timeoutMs: 5_000 }));
    }
    for (const [name, indexes] of [[`burst 1 x ${LAB_INTERFACES}`, [1]], [`burst ${o.burstNodes} x ${LAB_INTERFACES}`, Array.from({ length: o.burstNodes }, (_, k) => 2 + k)]] as const) {
      const t0 = Date.now();
      const specs = indexes.flatMap((n) => Array.from({ length: LAB_INTERFACES }, (_, j) => ({ n, j, version: 0 })));
      const commits = await insertInterfaces(db, specs, new Date(), 0);
      const written = specs.map((spec, i) => ({ spec, commit: commits[i]! }));
      scenarios.push(await figures(watch, fleet, { name, t0, nodeIndexes: indexes, nodes, written, targets: specs.map((x) => target(x.n, x.j)), timeoutMs: 240_000 }));
      await sleep(1_000);
    }
    return { versions: versions(), scenarios };
  } finally {
    await watch?.stop();
    await publisher?.stop();
    running.stopPublisher = undefined;
    await fleet?.stop();
    running.fleet = undefined;
    await lab.stop();
    running.lab = undefined;
  }
}

/** Waits for the kernel, then reads every figure of one scenario. */
async function figures(
  watch: KernelWatch,
  fleet: AgentFleet,
  s: { name: string; t0: number; nodeIndexes: readonly number[]; nodes: readonly LabNode[]; written: ReadonlyArray<{ spec: RowSpec; commit: number }>; targets: KernelTarget[]; timeoutMs: number },
): Promise<LabScenarioFigures> {
  const bar = new Progress(`${s.name}: kernel-configured`, s.targets.length);
  const at = await watch.waitAll(s.targets, s.t0, s.timeoutMs, (d) => bar.update(d));
  bar.done(at.every((a) => a !== undefined) ? '' : '(timed out)');
  // Let the last write-backs and applies report (IPC every 25 ms) before reading them.
  await sleep(1_500);
  const toKernel = new LatencyRecorder();
  const toWriteBack = new LatencyRecorder();
  s.written.forEach(({ spec, commit }, i) => {
    if (at[i] !== undefined) toKernel.record(at[i]! - commit);
    const w = [...fleet.written.entries()].find(([k]) => k.startsWith(`${portId(spec.n, spec.j)}@`))?.[1];
    if (w !== undefined) toWriteBack.record(w - commit);
  });
  const names = new Set(s.nodeIndexes.map((n) => s.nodes[n]!.name));
  const applies = fleet.applies.filter((a) => names.has(a.node) && a.startedAt >= s.t0);
  const perNode = s.nodeIndexes.map((n) => applies.filter((a) => a.node === s.nodes[n]!.name));
  const counts = perNode.map((a) => a.length);
  const totals = perNode.map((a) => a.reduce((x, y) => x + y.ms, 0));
  const check = await KernelWatch.check(s.targets);
  const primary = s.nodeIndexes.map((n) => watch.primaryEvents(s.nodes[n]!, s.t0).length);
  const mean = (v: number[]) => Math.round((v.reduce((a, b) => a + b, 0) / Math.max(1, v.length)) * 10) / 10;
  return {
    name: s.name,
    nodes: s.nodeIndexes.length,
    rows: s.targets.length,
    kernelConfigured: at.filter((a) => a !== undefined).length,
    verified: check.verified,
    wrong: check.wrong,
    rowToKernelMs: toKernel.summary(),
    rowToWriteBackMs: toWriteBack.summary(),
    appliesPerNode: { min: Math.min(...counts), mean: mean(counts), max: Math.max(...counts) },
    applyMs: summarize(applies.map((a) => a.ms)),
    applyTotalPerNodeMs: { mean: Math.round(mean(totals)), max: Math.max(...totals) },
    failedApplies: applies.filter((a) => !a.ok).length,
    primaryEventsPerNode: mean(primary),
  };
}
