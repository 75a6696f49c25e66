import type bunyan from 'bunyan';
import { loadConfig, type Config } from '../config/index.js';
import { ConfigError } from '../errors/errors.js';
import { createLogger } from '../log/logger.js';

/** Options every subcommand accepts. */
export interface GlobalOptions {
  config?: string;
  logLevel?: string;
  logFormat?: string;
}

/**
 * Loads configuration (file, environment, flags) and builds the process logger: the
 * one place a command reads `process.env`. Flags given as dotted paths win.
 */
export function createContext(name: string, opts: GlobalOptions, overrides: Record<string, unknown> = {}): { config: Config; log: bunyan } {
  const config = loadConfig({
    file: opts.config,
    env: process.env,
    overrides: { 'log.level': opts.logLevel, 'log.format': opts.logFormat, ...overrides },
  });
  const log = createLogger({ name, level: config.log.level, format: config.log.format });
  return { config, log };
}

/** Exit codes of the CLI: 0 ok, 1 runtime failure, 2 bad usage or configuration. */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;

/** Prints a one-line error (no stack for errors the user can fix) and sets the exit code. */
export function reportFatal(err: unknown): void {
  if (err instanceof ConfigError) {
    process.stderr.write(`multinic: configuration error: ${err.message}\n`);
    process.exitCode = ExitCode.Usage;
    return;
  }
  const e = err as Error;
  process.stderr.write(`multinic: ${e?.message ?? String(err)}\n`);
  if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') process.stderr.write(`${e?.stack ?? ''}\n`);
  process.exitCode = ExitCode.Failure;
}
