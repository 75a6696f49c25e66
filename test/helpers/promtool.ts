import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one promtool run printed, and its exit code (0 = success). */
export interface PromtoolResult {
  code: number;
  output: string;
}

/**
 * Runs Prometheus's `promtool` (Debian package `prometheus`) with `args` in `cwd`. Rejects
 * with a message saying how to install it when it is missing, so a test cannot pass
 * without it; any other outcome, including a failed check, resolves with the exit code.
 */
export function promtool(args: string[], cwd: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        reject(new Error('promtool is not installed: it comes with the Debian package prometheus (`bash scripts/services/start.sh promtool` installs it)'));
        return;
      }
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, output });
    });
  });
}

/** A scratch folder for rule files, removed by `remove()`. */
export async function scratchDir(prefix: string): Promise<{ path: string; write(name: string, text: string): Promise<string>; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    async write(name, text) {
      await writeFile(join(path, name), text);
      return join(path, name);
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
