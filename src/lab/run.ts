/**
 * Process helpers of the network lab: every command is an argv run without a shell, so no
 * name, MAC or address ever reaches a shell parser.
 */
import { execFile } from 'node:child_process';
import { LabCommandError, LabError } from './errors.js';

/** What a finished command printed, its exit code and how long it took (milliseconds). */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
  durationMs: number;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Throw {@link LabCommandError} on a non-zero exit (default true). */
  check?: boolean;
  /** Kill the command after this many milliseconds (default 60 000). */
  timeoutMs?: number;
  /** Extra environment variables (merged over the lab process's own). */
  env?: Record<string, string>;
}

/**
 * Runs `argv` (no shell) and resolves with its output.
 * @throws LabCommandError when it exits non-zero and `check` is true (the default), or is killed.
 */
export function run(argv: readonly string[], { check = true, timeoutMs = 60_000, env }: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new LabError('run: empty argv');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: env ? { ...process.env, ...env } : process.env }, (err, stdout, stderr) => {
      const durationMs = performance.now() - started;
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      if (err && (check || code === null)) {
        reject(new LabCommandError(argv, code, stderr || err.message, { cause: err }));
        return;
      }
      resolve({ stdout, stderr, code: code ?? 0, durationMs });
    });
  });
}

/**
 * Polls `check` every `intervalMs` (default 25) until it returns a truthy value, for at most
 * `timeoutMs` (default 10 000).
 * @throws LabError naming `what` and the last value or error seen.
 */
export async function pollUntil<T>(what: string, check: () => Promise<T> | T, { timeoutMs = 10_000, intervalMs = 25 } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await check();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new LabError(`lab: timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
