/**
 * Removing lab namespaces: what `Lab.stop()`, the lab's exit and signal hooks and CI all use.
 *
 * As a command, removes every leftover of earlier lab runs whose names start with a tag
 * (network namespaces with their processes, veths and mounts; temporary folders):
 *
 *     npx tsx src/lab/cleanup.ts lb        # prints what it removed; exit 0 also when nothing was left
 *
 * Everything here is synchronous on purpose: it also runs inside `process.on('exit')`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LabError } from './errors.js';

/**
 * A lab tag: 2–6 lower-case letters or digits, starting with a letter. Netns and veth names start
 * with it; 6 keeps a switch-side veth name (`<tag><4 hex>p<n>`) within Linux's 15 bytes.
 */
export const TAG = /^[a-z][a-z0-9]{1,5}$/;

/** Blocks the thread for `ms` milliseconds (used only while tearing down). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** `ip netns pids NAME`: the processes whose network namespace is NAME ([] when it is gone). */
export function netnsPids(name: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Network namespaces of this machine (`ip netns list`, names only). */
export function listNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/**
 * Kills every process in network namespace `name` (SIGKILL: daemons there hold nothing outside
 * the node), then deletes it, which also deletes its veths and their peers. Every mount a lab
 * node makes lives in its holder's private mount namespace and goes with its last process.
 * A namespace that does not exist is fine.
 * @throws LabError when a process survives 2 s of SIGKILL or `ip netns del` fails.
 */
export function removeNamespace(name: string): void {
  for (let attempt = 0; ; attempt += 1) {
    const pids = netnsPids(name);
    if (pids.length === 0) break;
    if (attempt >= 80) throw new LabError(`lab cleanup: processes ${pids.join(', ')} in netns ${name} survived SIGKILL for 2 s`);
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    sleepSync(25);
  }
  if (!listNamespaces().includes(name)) return;
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new LabError(`lab cleanup: ip netns del ${name} failed`, { cause: err });
  }
}

/**
 * Removes every network namespace and every temporary folder (in the OS temporary directory,
 * `<tag>…-lab-…`) whose name starts with `tag`. Returns what it removed.
 * @throws LabError when `tag` is not a lab tag (so a typo cannot match everything).
 */
export function removeLeftovers(tag: string, tmp = tmpdir()): { namespaces: string[]; folders: string[] } {
  if (!TAG.test(tag)) throw new LabError(`lab cleanup: tag '${tag}' must match ${TAG}`);
  const namespaces = listNamespaces().filter((n) => n.startsWith(tag));
  for (const n of namespaces) removeNamespace(n);
  const folders = readdirSync(tmp).filter((f) => f.startsWith(tag) && f.includes('-lab-')).map((f) => join(tmp, f));
  for (const f of folders) rmSync(f, { recursive: true, force: true });
  return { namespaces, folders };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tag = process.argv[2];
  if (!tag) {
    console.error('usage: tsx src/lab/cleanup.ts TAG   (e.g. lb: removes netns and temporary folders whose names start with it)');
    process.exit(2);
  }
  const removed = removeLeftovers(tag);
  console.log(`removed ${removed.namespaces.length} network namespace(s)${removed.namespaces.length ? `: ${removed.namespaces.join(' ')}` : ''}`);
  console.log(`removed ${removed.folders.length} folder(s)${removed.folders.length ? `: ${removed.folders.join(' ')}` : ''}`);
}
