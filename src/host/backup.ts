import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../log/logger.js';

/** One file to back up: its name in the netplan dir and its exact bytes. */
export interface SnapshotFile {
  file: string;
  content: Buffer;
}

/** A backup directory name: `<UTC yyyymmddThhmmss.mmmZ>-<seq>`; seq orders them across clock jumps. */
const BACKUP_NAME = /^(\d{8}T\d{6}\.\d{3}Z)-(\d{6,})$/;

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

/** Our backup directories in `backupDir`, oldest first (by sequence number). */
export async function listBackups(backupDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(backupDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((n) => ({ n, m: BACKUP_NAME.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[2]) - Number(b.m[2]))
    .map((x) => x.n);
}

export interface BackupOptions {
  backupDir: string;
  /** Keep only the newest this many backups (config `netplan.backupKeep`, default 20); at least 1. */
  keep: number;
  now: () => Date;
  log: Pick<Log, 'debug' | 'warn'>;
}

/**
 * Copies MultiNIC's own files (as given: the caller reads them) into a fresh
 * `<backupDir>/<UTC timestamp>-<seq>/` (dir 0700, files 0600 — addresses of a node are
 * not for everyone), then removes the oldest backups beyond `keep`. Only directories
 * whose names match our pattern are ever removed. An empty snapshot still makes a
 * backup: "no owned files" is a state worth recording. Returns the new directory.
 */
export async function backupOwnedFiles(files: readonly SnapshotFile[], { backupDir, keep, now, log }: BackupOptions): Promise<string> {
  await mkdir(backupDir, { recursive: true, mode: 0o700 });
  const existing = await listBackups(backupDir);
  const last = existing.length ? Number(BACKUP_NAME.exec(existing[existing.length - 1])![2]) : 0;
  const dir = join(backupDir, `${stamp(now())}-${String(last + 1).padStart(6, '0')}`);
  await mkdir(dir, { mode: 0o700 });
  await chmod(dir, 0o700); // mkdir's mode is filtered by the umask
  for (const f of files) {
    const target = join(dir, f.file);
    await writeFile(target, f.content, { mode: 0o600 });
    await chmod(target, 0o600);
  }
  const all = [...existing, dir.slice(backupDir.length + 1)];
  const excess = all.slice(0, Math.max(0, all.length - Math.max(1, keep)));
  for (const old of excess) {
    await rm(join(backupDir, old), { recursive: true, force: true });
  }
  log.debug({ backup: dir, files: files.map((f) => f.file), pruned: excess.length }, 'owned netplan files backed up');
  return dir;
}
