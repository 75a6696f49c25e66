/**
 * `tsx scripts/bench/profile-summary.ts <file.cpuprofile>...`: self time by function in
 * the CPU profiles `npm run bench -- --cpu-prof DIR` writes, heaviest first, and by
 * package (node_modules/<name>) — enough to see what limits a figure without a viewer.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self milliseconds per key (as produced by `keyOf`), from one profile. */
export function selfTimes(p: CpuProfile, keyOf: (n: ProfileNode) => string): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const k = keyOf(node);
    out.set(k, (out.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/work\/main\//, '').replace(/^.*node_modules\//, 'nm:');
const pkgOf = (url: string) => {
  if (!url) return '(native/idle/gc)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node core';
  return shortUrl(url).split('/').slice(0, 2).join('/');
};

async function main(): Promise<void> {
  for (const file of process.argv.slice(2)) {
    const p = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    const total = (p.endTime - p.startTime) / 1000;
    const fn = selfTimes(p, (n) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`);
    const pkg = selfTimes(p, (n) => (n.callFrame.functionName === '(idle)' ? '(idle)' : pkgOf(n.callFrame.url)));
    const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, ms]) => `  ${ms.toFixed(0).padStart(7)} ms  ${((ms * 100) / total).toFixed(1).padStart(5)}%  ${name}`);
    process.stdout.write(`${file} (${(total / 1000).toFixed(1)} s)\n by package:\n${top(pkg, 12).join('\n')}\n by function:\n${top(fn, 15).join('\n')}\n\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
