import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../log/logger.js';
import { reasonOf } from '../errors/classify.js';
import type { CommandRunner } from './command.js';
import { listDir } from './owned-read.js';

/** The host backends MultiNIC has (docs/DESIGN.md "Backends"). */
export const BACKENDS = ['netplan', 'networkmanager'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The backend chosen and why, for the start-up log, the Node label and `status`. */
export interface BackendChoice {
  backend: BackendName;
  reason: string;
}

/** What detection looks at. */
export interface DetectOptions {
  /** NETPLAN_DIR: netplan is in use when it holds any `*.yaml` file. */
  netplanDir: string;
  /** NMCLI_COMMAND: `nmcli -t -f RUNNING general` run in the host's namespaces. */
  nmcliCommand: readonly string[];
  run: CommandRunner;
  timeoutMs: number;
  log: Pick<Log, 'debug' | 'warn'>;
}

/** The `*.yaml` regular files of `dir`: netplan reads those (netplan(5) "General structure"). */
async function netplanFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of (await listDir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
    if ((await lstat(join(dir, f)).catch(() => undefined))?.isFile()) out.push(f);
  }
  return out;
}

/**
 * AGENT_BACKEND: `netplan` or `networkmanager` is taken as given; `auto` decides:
 * 1. netplan when NETPLAN_DIR holds any `*.yaml` (cloud-init writes 50-cloud-init.yaml on
 *    every Ubuntu cloud image; with `renderer: NetworkManager` netplan is still the front
 *    end that generates NM's profiles, so netplan stays the one to write to);
 * 2. else NetworkManager when `nmcli -t -f RUNNING general` answers `running` (RHEL,
 *    Rocky, Alma: no netplan, NM owns the interfaces);
 * 3. else netplan, MultiNIC's first backend, saying that nothing was found — a node with
 *    neither has nothing either backend could apply through, and the first apply says so.
 * Never throws: an nmcli that cannot run counts as NetworkManager not running.
 */
export async function chooseBackend(setting: 'auto' | BackendName, opts: DetectOptions): Promise<BackendChoice> {
  if (setting !== 'auto') return { backend: setting, reason: `AGENT_BACKEND=${setting}` };
  const yaml = await netplanFiles(opts.netplanDir);
  if (yaml.length > 0) return { backend: 'netplan', reason: `${opts.netplanDir} holds ${yaml.slice(0, 3).join(', ')}${yaml.length > 3 ? ', …' : ''}` };
  let nm: string;
  try {
    const { stdout } = await opts.run([...opts.nmcliCommand, '-t', '-f', 'RUNNING', 'general'], { timeoutMs: opts.timeoutMs, log: opts.log });
    nm = stdout.trim();
  } catch (err) {
    nm = reasonOf(err);
  }
  if (nm === 'running') return { backend: 'networkmanager', reason: `no *.yaml in ${opts.netplanDir} and NetworkManager is running` };
  return { backend: 'netplan', reason: `no *.yaml in ${opts.netplanDir} and NetworkManager is not running (${nm || 'no answer'}): netplan, the default` };
}
