import { spawn } from 'node:child_process';
import { HostError, HostTransientError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';

/** A command that ran and failed: exit code (or signal) and the tail of its stderr. */
export class CommandFailedError extends HostError {
  override name = 'CommandFailedError';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
    options?: ErrorOptions,
  ) {
    const how = exitCode !== null ? `exited with code ${exitCode}` : `was killed by ${signal ?? 'a signal'}`;
    super(`${argv[0]} ${how}${stderrTail ? `: ${stderrTail.replace(/\s*\n\s*/g, ' | ')}` : ''}`, options);
  }
}

export interface RunOptions {
  /** Kill the command after this long (SIGTERM, then SIGKILL after `killGraceMs`). */
  timeoutMs: number;
  log: Pick<Log, 'debug' | 'warn'>;
  /** Time between SIGTERM and SIGKILL; default 2 s. */
  killGraceMs?: number;
  /** How many trailing stderr lines a failure carries; default 5. */
  stderrLines?: number;
  /** Written to the command's stdin, which is then closed; default: no stdin. */
  input?: string | Buffer;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The signature NetplanHost calls through, so tests can count or fake invocations. */
export type CommandRunner = (argv: readonly string[], opts: RunOptions) => Promise<RunResult>;

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n').trim();
}

/**
 * Runs an argv without a shell (spawn with an argv array, as execFile does), so nothing
 * in it is interpreted. The command gets its own process group so a timeout also kills
 * what it spawned (`nsenter` -> `netplan` -> `networkctl`); execFile cannot do that, as
 * it drops the `detached` option. A timeout throws HostTransientError (the apply may work
 * next time); a non-zero exit or a missing binary throws CommandFailedError (a HostError:
 * retrying the same command on the same files will not help).
 */
export const runCommand: CommandRunner = (argv, { timeoutMs, log, killGraceMs = 2000, stderrLines = 5, input }) => {
  if (argv.length === 0) return Promise.reject(new HostError('empty command'));
  const started = Date.now();
  return new Promise<RunResult>((resolve, reject) => {
    let timedOut = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let spawnError: Error | undefined;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const child = spawn(argv[0], argv.slice(1), { shell: false, detached: true, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) {
      // A command that exits without reading its stdin must not crash us with EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    }
    child.stdout!.on('data', (b: Buffer) => stdout.push(b));
    child.stderr!.on('data', (b: Buffer) => stderr.push(b));
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      log.warn({ argv, timeoutMs }, 'command timed out; killing it');
      killGroup('SIGTERM');
      graceTimer = setTimeout(() => killGroup('SIGKILL'), killGraceMs);
    }, timeoutMs);
    child.on('error', (err) => {
      spawnError = err;
    });
    // 'close' waits for stdio too, i.e. for everything in the group that held our pipes.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      const durationMs = Date.now() - started;
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (timedOut) {
        reject(new HostTransientError(`${argv[0]} did not finish within ${timeoutMs} ms and was killed`));
      } else if (spawnError) {
        const e = spawnError as NodeJS.ErrnoException;
        reject(new CommandFailedError(argv, null, null, `${e.code ?? ''} ${e.message}`.trim(), { cause: spawnError }));
      } else if (code === 0) {
        log.debug({ argv, durationMs }, 'command finished');
        resolve({ stdout: out, stderr: err, durationMs });
      } else {
        reject(new CommandFailedError(argv, code, signal, tail(err, stderrLines)));
      }
    });
  });
};
