import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfiguredInterface } from '../model/ports.js';
import type { OwnedFile } from './backend.js';

/** The entries of `dir`; a missing directory means nothing is configured by anyone yet. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The bytes of a regular file, or undefined for a symlink, a non-regular or a vanished file. */
export async function readNoFollow(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    // O_NOFOLLOW closes the gap between lstat and open: a symlink swapped in meanwhile fails (ELOOP).
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP' || (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Interface number of an owned file name (`…multinicN.ext`), for a numeric (multinic2 before multinic10) order. */
function ordinal(file: string): number {
  return Number(/multinic(\d+)\.[a-z]+$/.exec(file)?.[1] ?? Number.MAX_SAFE_INTEGER);
}

/** How one backend recognises its own files. */
export interface OwnedFormat {
  /** True for the exact file names the backend writes. */
  isOwnedFileName(file: string): boolean;
  /** The ConfiguredInterface of a file of ours, or undefined when the content is not ours. */
  parse(text: string, file: string): ConfiguredInterface | undefined;
}

/**
 * Every file in `dir` that MultiNIC owns in `format`, in interface-number order.
 * Symlinks and non-regular files are ignored, never followed: a link named like ours may
 * point at a file we must not treat (or later overwrite) as ours.
 */
export async function readOwnedIn(dir: string, format: OwnedFormat): Promise<OwnedFile[]> {
  const owned: OwnedFile[] = [];
  for (const file of (await listDir(dir)).filter((f) => format.isOwnedFileName(f)).sort((a, b) => ordinal(a) - ordinal(b))) {
    const path = join(dir, file);
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    const content = await readNoFollow(path);
    if (!content) continue;
    const iface = format.parse(content.toString('utf8'), file);
    if (iface) owned.push({ file, path, content, iface });
  }
  return owned;
}
