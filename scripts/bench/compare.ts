/**
 * The bench's "before / now / target" table: this run's headline figures beside the last
 * results file of the same size (scripts/bench/results/*.json) and the issue's targets
 * (issue 14), so one run shows what changed and what is still missed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineFigures } from './phases/pipeline.js';
import type { BenchResults } from './report.js';
import { formatTable } from './stats.js';

/** A results file as run.ts writes it (older files lack newer fields). */
export interface ResultsFile {
  date: string;
  parameters: { nodes: number; interfaces: number };
  results: BenchResults;
}

/** The newest results file in `dir` (by its `date`) for the same nodes x interfaces; undefined when none. */
export async function latestResults(dir: string, nodes: number, interfaces: number): Promise<{ file: string; data: ResultsFile } | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  let best: { file: string; data: ResultsFile } | undefined;
  for (const name of names) {
    const data = JSON.parse(await readFile(join(dir, name), 'utf8')) as ResultsFile;
    if (data.parameters?.nodes !== nodes || data.parameters?.interfaces !== interfaces) continue;
    if (!best || data.date > best.data.date) best = { file: name, data };
  }
  return best;
}

const s = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
const mib = (b: number | undefined) => (b === undefined ? '-' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const num = (v: number | undefined) => (v === undefined ? '-' : String(v));

type Row = [figure: string, pick: (r: BenchResults) => string, target: string];

function pipeline(r: BenchResults, mode: string): PipelineFigures | undefined {
  return r.pipelines.find((p) => p.mode === mode);
}

/** The single-agent figure of one variant: `log` = compiled, log mode, no NODE_OPTIONS (as files before issue 14 measured it). */
function single(r: BenchResults, match: (runtime: string) => boolean): number | undefined {
  return r.single.find((x) => match(x.runtime))?.idleRssBytes;
}

const ROWS: Row[] = [
  ['noop burst p50 / p99', (r) => `${s(pipeline(r, 'noop')?.burst.latencyMs.p50)} / ${s(pipeline(r, 'noop')?.burst.latencyMs.p99)}`, '<= 1.00 s / 2.00 s'],
  ['noop burst interfaces/s', (r) => num(pipeline(r, 'noop')?.burst.throughputPerSecond), '>= 500'],
  ['noop burst applies per node (mean / max)', (r) => { const a = pipeline(r, 'noop')?.burst.appliesPerNode; return a ? `${a.mean} / ${a.max}` : '8 (one per event; not counted then)'; }, '<= 2'],
  ['noop trickle p50 / p99', (r) => `${s(pipeline(r, 'noop')?.trickle.latencyMs.p50)} / ${s(pipeline(r, 'noop')?.trickle.latencyMs.p99)}`, 'p50 <= 0.45 s'],
  ['agent DB statements per interface (burst)', (r) => num(pipeline(r, 'noop')?.burst.agentStatementsPerInterface), '-'],
  ['netplan generate burst interfaces/s', (r) => num(pipeline(r, 'netplan')?.burst.throughputPerSecond), '>= 40'],
  ['netplan generate burst p50', (r) => s(pipeline(r, 'netplan')?.burst.latencyMs.p50), '-'],
  ['per-node polling T=1s p50', (r) => s(r.baseline.find((b) => b.periodSeconds === 1)?.latencyMs.p50), 'MultiNIC trickle below it'],
  ['per-node polling T=30s p50', (r) => s(r.baseline.find((b) => b.periodSeconds === 30)?.latencyMs.p50), '-'],
  ['publisher DB q/s idle (noop phase)', (r) => num(pipeline(r, 'noop')?.publisherIdleQps), 'flat in node count'],
  ['one agent idle RSS, compiled, log mode, no NODE_OPTIONS', (r) => mib(single(r, (t) => t.startsWith('compiled') && !t.includes('kube.mode=api') && !t.includes('--max-semi'))), '-'],
  ['one agent idle RSS, compiled, log mode, image NODE_OPTIONS', (r) => mib(single(r, (t) => t.startsWith('compiled') && t.includes('kube.mode=log') && t.includes('--max-semi'))), '<= 80 MiB'],
  ['one agent idle RSS, compiled, api mode, image NODE_OPTIONS', (r) => mib(single(r, (t) => t.startsWith('compiled') && t.includes('kube.mode=api'))), '<= 100 MiB'],
];

/** The comparison table; `previous` undefined prints "-" in its column. */
export function formatComparison(now: BenchResults, previous: { file: string; data: ResultsFile } | undefined): string {
  const before = previous?.data.results;
  return formatTable(
    ['figure', `before (${previous?.file ?? 'no earlier results'})`, 'now', 'target (issue 14)'],
    ROWS.map(([figure, pick, target]) => [figure, before ? pick(before) : '-', pick(now), target]),
  );
}
