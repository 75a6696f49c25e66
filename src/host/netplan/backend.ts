import type { Log } from '../../log/logger.js';
import { reasonOf } from '../../errors/classify.js';
import type { ApplyChange, HostBackend } from '../backend.js';
import { runCommand, type CommandRunner } from '../command.js';
import type { Kernel } from '../kernel.js';
import { assertSoleOwner, type ForeignClaim } from '../ownership.js';
import { checkGenerated } from './check-generated.js';
import { netplanClaims } from './claims.js';
import { validateWithNetplan } from './generate.js';
import { isOwnedFileName, readAllYaml, readOwnedFiles } from './owned-files.js';
import { fileNameFor, renderInterface } from './render.js';
import { networkdSettle } from './networkd-state.js';
import { targetedApply } from './targeted-apply.js';

/** What the netplan backend needs; the keys mean what the configuration reference says. */
export interface NetplanBackendOptions {
  /** `netplan.dir` (NETPLAN_DIR, default /etc/netplan). */
  netplanDir: string;
  /** argv of `netplan apply` (default nsenter into PID 1); never run through a shell. */
  applyCommand: readonly string[];
  /** `netplan.applyTimeout` (default 60 s). */
  applyTimeoutMs: number;
  /**
   * `netplan.applyMethod` (NETPLAN_APPLY_METHOD): `targeted` (see targeted-apply.ts; falls
   * back to `applyCommand` when a step fails; needs `kernel`, else `applyCommand` is used) or
   * `apply` (always `applyCommand`). Default `apply`.
   */
  applyMethod?: 'targeted' | 'apply';
  /** `netplan.networkdRunDir` (NETWORKD_RUN_DIR, default /run/systemd/network); targeted only. */
  networkdRunDir?: string;
  /**
   * `netplan.networkctlCommand` (NETWORKCTL_COMMAND): the targeted path's reload, and after
   * every apply (both methods) `networkctl list --json=short`, so the kernel is judged only
   * once networkd is done with the changed links; empty: no such wait.
   */
  networkctlCommand?: readonly string[];
  /** The host's kernel (IP_COMMAND), for the targeted path's renames. */
  kernel: Kernel | null;
  /** netplan binary for `generate --root-dir` validation; '' skips validation. */
  generateCommand: string;
  /** Runs the apply command; default runCommand. Tests inject a spy. */
  run?: CommandRunner;
  /** Where `netplan generate` gets its scratch root; default os.tmpdir(). */
  tmpDir?: string;
}

/** Everything but the two comment lines (marker, meta): what netplan itself reads. */
function netplanBody(content: Buffer): string {
  return content.toString().split('\n').slice(2).join('\n');
}

const PREFIX = '90-multinic-';
const SUFFIX = '.yaml';

/**
 * The netplan backend: one `90-multinic-multinicN.yaml` per interface in `netplanDir`,
 * validated as a whole with the real `netplan generate --root-dir` (and the generated
 * networkd unit checked against the interface), applied by the targeted path or
 * `applyCommand`, under a timeout. See netplan(5), netplan-generate(8), netplan-apply(8).
 */
export function createNetplanBackend(options: NetplanBackendOptions): HostBackend {
  const { netplanDir, applyCommand, applyTimeoutMs, generateCommand, tmpDir, kernel } = options;
  const run = options.run ?? runCommand;
  const netplanApply = async (log: Log, why?: string) => {
    const { durationMs } = await run(applyCommand, { timeoutMs: applyTimeoutMs, log });
    log.info({ durationMs, method: 'apply', ...(why && { fallbackFrom: why }) }, 'netplan applied');
  };
  let validated: { files: Map<string, Buffer>; networkd: Record<string, string> } | undefined;
  const targeted = async (log: Log, change: ApplyChange) => {
    const started = Date.now();
    const { networkdRunDir = '/run/systemd/network', networkctlCommand = [] } = options;
    if (networkctlCommand.length === 0) throw new Error('NETWORKCTL_COMMAND is empty');
    const done = await targetedApply({ netplanDir, generateCommand, networkdRunDir, networkctlCommand, kernel, timeoutMs: applyTimeoutMs, run, tmpDir, validated }, change, log);
    log.info({ durationMs: Date.now() - started, method: 'targeted', ...done, renamed: change.renames }, 'netplan applied');
  };
  const { networkctlCommand = [] } = options;
  return {
    ...(networkctlCommand.length > 0 && { unsettled: networkdSettle(networkctlCommand, run) }),
    name: 'netplan',
    dir: netplanDir,
    fileNameFor,
    interfaceNameOf: (file) => (isOwnedFileName(file) ? file.slice(PREFIX.length, -SUFFIX.length) : undefined),
    readOwned: () => readOwnedFiles(netplanDir),
    render: (iface) => Buffer.from(renderInterface(iface)),
    sameEffect: (a, b) => netplanBody(a) === netplanBody(b),
    async validate({ write, writes = [], remove, nic, nics = [] }) {
      if (generateCommand === '') return;
      const files = await readAllYaml(netplanDir);
      for (const file of remove) files.delete(file);
      const all = write && !writes.includes(write) ? [write, ...writes] : writes;
      for (const w of all) files.set(w.file, w.content);
      const { networkd } = await validateWithNetplan({ generateCommand, files, tmpDir });
      for (const w of all) checkGenerated(w.iface, networkd);
      // Every NIC of the change, judged on the one generated output: a batch is no exemption.
      for (const n of nic && !nics.includes(nic) ? [nic, ...nics] : nics) {
        assertSoleOwner(n, netplanClaims(networkd, files, netplanDir, n));
      }
      validated = { files, networkd };
    },
    async claims(nics) {
      const out = new Map<string, ForeignClaim[]>();
      if (generateCommand === '' || nics.length === 0) return out;
      const files = await readAllYaml(netplanDir);
      const { networkd } = await validateWithNetplan({ generateCommand, files, tmpDir });
      for (const nic of nics) out.set(nic.newName, netplanClaims(networkd, files, netplanDir, nic));
      return out;
    },
    async apply(log: Log, change?: ApplyChange) {
      // Without a kernel (the sandbox's fake sysfs) there is no host to target: NETPLAN_APPLY_COMMAND is its stand-in.
      if (options.applyMethod !== 'targeted' || !change || kernel === null) return netplanApply(log);
      try {
        await targeted(log, change);
      } catch (err) {
        // What the targeted path changed is a subset of what `netplan apply` redoes: it finishes the job.
        log.warn({ err }, 'targeted apply failed; falling back to netplan apply');
        await netplanApply(log, reasonOf(err));
      }
    },
  };
}
