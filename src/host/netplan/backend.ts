import type { Log } from '../../log/logger.js';
import type { HostBackend } from '../backend.js';
import { runCommand, type CommandRunner } from '../command.js';
import { checkGenerated } from './check-generated.js';
import { validateWithNetplan } from './generate.js';
import { isOwnedFileName, readAllYaml, readOwnedFiles } from './owned-files.js';
import { fileNameFor, renderInterface } from './render.js';

/** What the netplan backend needs; the keys mean what the configuration reference says. */
export interface NetplanBackendOptions {
  /** `netplan.dir` (NETPLAN_DIR, default /etc/netplan). */
  netplanDir: string;
  /** argv of `netplan apply` (default nsenter into PID 1); never run through a shell. */
  applyCommand: readonly string[];
  /** `netplan.applyTimeout` (default 60 s). */
  applyTimeoutMs: number;
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
 * networkd unit checked against the interface), applied with `applyCommand` under a
 * timeout. See netplan(5), netplan-generate(8), netplan-apply(8).
 */
export function createNetplanBackend(options: NetplanBackendOptions): HostBackend {
  const { netplanDir, applyCommand, applyTimeoutMs, generateCommand, tmpDir } = options;
  const run = options.run ?? runCommand;
  return {
    name: 'netplan',
    dir: netplanDir,
    fileNameFor,
    interfaceNameOf: (file) => (isOwnedFileName(file) ? file.slice(PREFIX.length, -SUFFIX.length) : undefined),
    readOwned: () => readOwnedFiles(netplanDir),
    render: (iface) => Buffer.from(renderInterface(iface)),
    sameEffect: (a, b) => netplanBody(a) === netplanBody(b),
    async validate({ write, writes = [], remove }) {
      if (generateCommand === '') return;
      const files = await readAllYaml(netplanDir);
      for (const file of remove) files.delete(file);
      const all = write && !writes.includes(write) ? [write, ...writes] : writes;
      for (const w of all) files.set(w.file, w.content);
      const { networkd } = await validateWithNetplan({ generateCommand, files, tmpDir });
      for (const w of all) checkGenerated(w.iface, networkd);
    },
    async apply(log: Log) {
      const { durationMs } = await run(applyCommand, { timeoutMs: applyTimeoutMs, log });
      log.info({ durationMs }, 'netplan applied');
    },
  };
}
