import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';

const KEYS = ['config', 'logLevel', 'logFormat'] as const;

/**
 * The global options as a command sees them: each may be given before the command's name
 * (the program's), after it, or at any level between (`multinic db --log-level debug
 * migrate`); the innermost, i.e. the one written last, wins. Commander's own
 * `optsWithGlobals()` lets the outermost win, which would make `multinic --config A agent
 * --config B` read A.
 */
export function globalOptions(cmd: Command): GlobalOptions {
  const levels: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) levels.unshift(c);
  const merged: GlobalOptions = {};
  for (const level of levels) {
    const opts = level.opts<GlobalOptions>();
    for (const key of KEYS) if (opts[key] !== undefined) merged[key] = opts[key];
  }
  return merged;
}
