import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HostError } from '../../errors/errors.js';
import type { Log } from '../../log/logger.js';
import type { ApplyChange } from '../backend.js';
import type { CommandRunner } from '../command.js';
import { writeFileAtomic } from '../files.js';
import type { Kernel } from '../kernel.js';
import { validateWithNetplan } from './generate.js';
import { readAllYaml } from './owned-files.js';

/** What a targeted apply needs; the keys mean what the configuration reference says. */
export interface TargetedApplyOptions {
  /** NETPLAN_DIR: the whole configuration (ours and others') is generated, as `netplan apply` does. */
  netplanDir: string;
  /** NETPLAN_GENERATE_COMMAND: run as `<cmd> generate --root-dir <scratch>`. */
  generateCommand: string;
  /** NETWORKD_RUN_DIR: systemd-networkd's runtime unit directory on the host (`/run/systemd/network`). */
  networkdRunDir: string;
  /** NETWORKCTL_COMMAND: argv prefix ending in `networkctl`. */
  networkctlCommand: readonly string[];
  /** The host's kernel, for the renames; null when there is none (then nothing is done: HostError). */
  kernel: Kernel | null;
  timeoutMs: number;
  run: CommandRunner;
  tmpDir?: string;
  /**
   * The last configuration validated (NETPLAN_DIR's files) and what `netplan generate` made of
   * it: reused when the directory holds exactly those files, which saves the second generate
   * of a change (validate, then apply).
   */
  validated?: { files: ReadonlyMap<string, Buffer>; networkd: Record<string, string> };
}

/** True when both maps hold the same file names with the same bytes. */
function sameFiles(a: ReadonlyMap<string, Buffer>, b: ReadonlyMap<string, Buffer>): boolean {
  return a.size === b.size && [...a].every(([name, content]) => b.get(name)?.equals(content) === true);
}

/** netplan's own files in the networkd directory (`10-netplan-*.network|.link|.netdev`). */
const NETPLAN_UNIT = /^[^/]*netplan[^/]*\.(network|link|netdev)$/;

/** What one targeted apply did, for the log. */
export interface TargetedApplyResult {
  written: string[];
  removed: string[];
  reconfigured: string[];
}

/**
 * Applies netplan touching only the NICs `change` names (issue 10 point 6; the sequence and
 * its measurements are in test/lab/README.md, "Targeted apply"):
 * 1. `netplan generate --root-dir` of the whole directory into a scratch root (validates;
 *    a failure here changes nothing live), or the output of the validation just before when
 *    the directory holds exactly what was validated;
 * 2. copies into NETWORKD_RUN_DIR only netplan's units whose bytes differ, deletes netplan's
 *    units that are gone; unchanged files keep their mtime, because systemd-networkd's
 *    reload reconfigures exactly the links whose `.network` file is new, gone or has a new
 *    mtime (systemd 252 src/network/networkd-network.c, network_reload());
 * 3. renames each NIC as `netplan apply` does (`ip link set dev X down`, `... name Y`);
 * 4. `networkctl reload` (systemd ≥ 244, NEWS "CHANGES WITH 244");
 * 5. `networkctl reconfigure` of the change's NICs whose unit did not change but that were
 *    renamed (the same port back under a new kernel name) or are being rolled back (one left
 *    half-configured by the failed change is configured again).
 * netplan 0.106's `netplan apply` has no per-interface option (`netplan apply --help`).
 * udev rules (`/run/udev/rules.d/99-netplan-*`) are not copied: they only matter when a NIC
 * is added, and netplan's systemd generator writes them again at boot.
 * @throws HostError (or CommandFailedError) for a step that fails; the caller falls back.
 */
export async function targetedApply(o: TargetedApplyOptions, change: ApplyChange, log: Pick<Log, 'debug' | 'warn' | 'info'>): Promise<TargetedApplyResult> {
  if (o.generateCommand === '') throw new HostError('targeted apply needs netplan generate (NETPLAN_GENERATE_COMMAND is empty)');
  if (o.kernel === null) throw new HostError('targeted apply needs the host\'s kernel (IP_COMMAND)');
  const files = await readAllYaml(o.netplanDir);
  const networkd = o.validated && sameFiles(files, o.validated.files)
    ? o.validated.networkd
    : (await validateWithNetplan({ generateCommand: o.generateCommand, files, tmpDir: o.tmpDir })).networkd;
  const written: string[] = [];
  const removed: string[] = [];
  const live = (await readdir(o.networkdRunDir)).filter((f) => NETPLAN_UNIT.test(f));
  for (const [file, content] of Object.entries(networkd)) {
    if (!NETPLAN_UNIT.test(file)) continue;
    const path = join(o.networkdRunDir, file);
    const current = await readFile(path).catch(() => undefined);
    if (current?.equals(Buffer.from(content))) continue;
    // netplan 0.106 writes its units 0644 (networkd runs as systemd-network and must read them); a file that exists keeps its mode.
    const mode = current ? (await stat(path)).mode & 0o777 : 0o644;
    await writeFileAtomic(path, content, mode);
    written.push(file);
  }
  for (const file of live) {
    if (networkd[file] !== undefined) continue;
    await unlink(join(o.networkdRunDir, file));
    removed.push(file);
  }
  for (const { from, to } of change.renames) await o.kernel.rename(from, to);
  await o.run([...o.networkctlCommand, 'reload'], { timeoutMs: o.timeoutMs, log });
  // A reload skips a link whose unit did not change; a rollback (the link may be half-configured)
  // and a rename (the same port back under a new kernel name) need that link configured anew.
  const renamed = new Set(change.renames.map((r) => r.to));
  const reconfigured = change.interfaces.filter((n) => {
    const unit = `10-netplan-${n}.network`;
    return networkd[unit] !== undefined && !written.includes(unit) && (change.rollback || renamed.has(n));
  });
  if (reconfigured.length > 0) await o.run([...o.networkctlCommand, 'reconfigure', ...reconfigured], { timeoutMs: o.timeoutMs, log });
  return { written, removed, reconfigured };
}
