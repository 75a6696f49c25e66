import { join } from 'node:path';
import { unlink } from 'node:fs/promises';
import { HostError, RolledBackError, RolledBackTransientError } from '../errors/errors.js';
import { classify, reasonOf, Verdict } from '../errors/classify.js';
import type { Log } from '../log/logger.js';
import type { OwnedFile } from './backend.js';
import type { SnapshotFile } from './backup.js';
import { writeFileAtomic } from './files.js';

/** What one change of a backend's directory needs from its host. */
export interface TransactionSteps {
  /** The backend's directory (e.g. /etc/netplan). */
  dir: string;
  /** Reads MultiNIC's own files in `dir` (the backend's `readOwned`). */
  readOwned: () => Promise<OwnedFile[]>;
  /** MultiNIC's own files as they were before the change, exact bytes: what a rollback restores. */
  before: readonly SnapshotFile[];
  /** Writes the backup of `before`; runs before anything is touched. */
  backup: () => Promise<unknown>;
  /** Writes / deletes owned files. */
  mutate: () => Promise<void>;
  /** Runs the apply command; `rollback` is true when it applies the restored previous files. */
  apply: (rollback: boolean) => Promise<void>;
  /** Checks the host now looks as intended. */
  verify: () => Promise<void>;
  /** After the previous files are applied again: removes what the failed change left (e.g. addresses it set). */
  afterRollback?: () => Promise<void>;
  log: Pick<Log, 'info' | 'warn' | 'error'>;
}

/**
 * Puts MultiNIC's own files back exactly as `before` (byte for byte; files ours now but
 * not then are deleted; identical files are left alone, mtime included). Only files that
 * parse as ours are ever deleted or overwritten.
 */
export async function restoreOwnedFiles(dir: string, before: readonly SnapshotFile[], readOwned: () => Promise<OwnedFile[]>): Promise<void> {
  const wanted = new Map(before.map((f) => [f.file, f.content]));
  const now = await readOwned();
  for (const f of now) if (!wanted.has(f.file)) await unlink(f.path);
  for (const [file, content] of wanted) {
    const current = now.find((f) => f.file === file);
    if (!current || !current.content.equals(content)) await writeFileAtomic(join(dir, file), content, 0o600);
  }
}

/**
 * backup -> mutate -> apply -> verify. On any failure after the backup, restores the
 * previous owned files, applies again so the host runs them, and throws an error that
 * says it rolled back, keeping the original's verdict (an apply timeout stays retryable,
 * a rejected apply stays permanent). A rollback that cannot restore the files is a
 * HostError: a person must look, retrying could compound it.
 */
export async function runTransaction(steps: TransactionSteps): Promise<void> {
  const { dir, before, log } = steps;
  await steps.backup();
  try {
    await steps.mutate();
    await steps.apply(false);
    await steps.verify();
  } catch (err) {
    const reason = reasonOf(err);
    log.warn({ err }, 'netplan change failed; restoring the previous MultiNIC files');
    try {
      await restoreOwnedFiles(dir, before, steps.readOwned);
    } catch (restoreErr) {
      log.error({ err: restoreErr }, 'could not restore the previous MultiNIC netplan files');
      throw new HostError(`${reason}; restoring the previous netplan files ALSO failed: ${reasonOf(restoreErr)}`, { cause: err });
    }
    try {
      await steps.apply(true);
      await steps.afterRollback?.();
      log.info({ files: before.map((f) => f.file) }, 'previous MultiNIC netplan files restored and applied again');
    } catch (reapplyErr) {
      // Logged here because the caller's error is about the original failure.
      log.error({ err: reapplyErr }, 'previous netplan files restored, but applying them again failed');
    }
    const message = `rolled back to the previous netplan files after: ${reason}`;
    throw classify(err) === Verdict.Retry ? new RolledBackTransientError(message, { cause: err }) : new RolledBackError(message, { cause: err });
  }
}
