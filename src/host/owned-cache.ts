import { constants, lstatSync, statSync, type BigIntStats } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HostError } from '../errors/errors.js';
import type { OwnedFile } from './backend.js';

/** What the host knows about its backend's directory: MultiNIC's own files and every entry's name. */
export interface OwnedView {
  owned: readonly OwnedFile[];
  /** Every name in the directory (ours, others', temp files), as readdir gave it. */
  entries: readonly string[];
}

interface Cached extends OwnedView {
  /** Identity + times of the directory and of each owned file, as last seen. */
  stamp: string;
  readAt: number;
}

export interface OwnedFileCacheOptions {
  dir: string;
  /** Reads MultiNIC's own files in `dir` from disk (the backend's `readOwned`). */
  read: () => Promise<OwnedFile[]>;
  /** Clock in ms for the cache's age. */
  now: () => number;
  /**
   * Re-read from disk at least this often even when nothing looks changed (default 60 s):
   * a foreign edit landing in the same timestamp tick as one of ours heals within it.
   */
  maxAgeMs?: number;
}

function statKey(st: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint } | undefined): string {
  return st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : '-';
}

const missingAsUndefined = (err: NodeJS.ErrnoException) => {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
  throw err;
};

/**
 * Synchronous on purpose: the check runs for every event and listing, a stat of a cached
 * inode takes ~3 us of CPU this way against ~40 us through the thread pool, and a stat
 * never reads file data.
 */
function statKeyNow(path: string, follow: boolean): string {
  let st: BigIntStats | undefined;
  try {
    st = (follow ? statSync : lstatSync)(path, { bigint: true });
  } catch (err) {
    st = missingAsUndefined(err as NodeJS.ErrnoException);
  }
  return statKey(st);
}

async function listEntries(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

/**
 * MultiNIC's owned files (netplan's, or another backend's) kept in memory, so an event costs a few stat calls
 * instead of re-reading and re-parsing every owned file several times. It is only used
 * under the host's mutex. The view is trusted while the directory (entries added,
 * removed, renamed) and every owned file (ino, size, mtime, ctime) still stat the same
 * and it is younger than `maxAgeMs`; otherwise it is read again from disk. The host
 * records its own writes with `replace`, and drops the view (`invalidate`) after any
 * failure, so a rollback or a surprise is always followed by a fresh read.
 */
export class OwnedFileCache {
  private cached: Cached | undefined;
  private readonly maxAgeMs: number;

  constructor(private readonly options: OwnedFileCacheOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
  }

  /** The current view: the cached one if nothing changed on disk, else freshly read. */
  async get(): Promise<OwnedView> {
    const c = this.cached;
    if (c && this.options.now() - c.readAt < this.maxAgeMs && (await this.stampOf(c.owned)) === c.stamp) return c;
    return this.reload();
  }

  /** Forgets the view; the next `get` reads the directory again. */
  invalidate(): void {
    this.cached = undefined;
  }

  /**
   * Records the directory after MultiNIC's own change: `owned` is the complete new set of
   * owned files (with the bytes written), `entries` the directory's names now. Keeps the
   * previous read time, so even a busy host re-reads from disk every `maxAgeMs`.
   */
  async replace(owned: OwnedFile[], entries: string[]): Promise<void> {
    const readAt = this.cached?.readAt ?? this.options.now();
    this.cached = { owned, entries, stamp: await this.stampOf(owned), readAt };
  }

  private async reload(): Promise<Cached> {
    // Stamp first: a change racing with the read then shows up as a stamp mismatch next time.
    const dirBefore = this.dirKey();
    const entries = await listEntries(this.options.dir);
    const owned = await this.options.read();
    const stamp = [dirBefore, ...owned.map((o) => statKeyNow(o.path, false))].join('|');
    this.cached = { owned, entries, stamp, readAt: this.options.now() };
    return this.cached;
  }

  private dirKey(): string {
    return statKeyNow(this.options.dir, true);
  }

  private async stampOf(owned: readonly OwnedFile[]): Promise<string> {
    return [this.dirKey(), ...owned.map((o) => statKeyNow(o.path, false))].join('|');
  }
}

/**
 * Checks, right before MultiNIC deletes or overwrites `o.path`, that the file on disk is
 * still a regular file holding exactly the bytes we believe are ours: whatever the cache
 * says, a file that changed under us is never touched.
 */
export async function assertStillOurs(o: OwnedFile): Promise<void> {
  let handle;
  try {
    handle = await open(o.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw new HostError(`${o.path} changed on disk (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}); MultiNIC will not touch it`, { cause: err });
  }
  try {
    const same = (await handle.stat()).isFile() && (await handle.readFile()).equals(o.content);
    if (!same) throw new HostError(`${o.path} changed on disk since MultiNIC read it; MultiNIC will not touch it`);
  } finally {
    await handle.close();
  }
}

/** The owned file record for bytes MultiNIC just wrote. */
export function ownedRecord(dir: string, file: string, content: Buffer, iface: OwnedFile['iface']): OwnedFile {
  return { file, path: join(dir, file), content, iface };
}
