import type { Log } from '../../log/logger.js';
import { HostError } from '../../errors/errors.js';
import type { HostBackend, OwnedFile } from '../backend.js';
import { CommandFailedError, runCommand, type CommandRunner } from '../command.js';
import type { Kernel } from '../kernel.js';
import { findNicByMac, normalizeMac } from '../sysfs.js';
import { parseOwnedHeader } from '../owned-meta.js';
import { readOwnedIn } from '../owned-read.js';
import { applyKeyfiles } from './apply.js';
import { checkNormalised } from './check-normalised.js';
import { readNmClaims, type NmClaim, type NmNic } from './claims.js';
import { interfaceNameOfKeyfile, keyfileNameFor, renderKeyfile } from './render.js';

/** What the NetworkManager backend needs; the keys mean what the configuration reference says. */
export interface NetworkManagerBackendOptions {
  /** `networkManager.connectionsDir` (NM_CONNECTIONS_DIR, default /etc/NetworkManager/system-connections). */
  connectionsDir: string;
  /** argv prefix of `nmcli` in the host's namespaces (NMCLI_COMMAND). */
  nmcliCommand: readonly string[];
  /** The host's kernel (IP_COMMAND): renames each NIC to multinicN, since NetworkManager never renames. */
  kernel: Kernel;
  /** `networkManager.applyTimeout` (default 30 s), per command. */
  applyTimeoutMs: number;
  /** `networkManager.ifcfgDir` (NM_IFCFG_DIR, default /etc/sysconfig/network-scripts): read for other profiles' claims. */
  ifcfgDir: string;
  /** `networkManager.linkDir` (NM_LINK_DIR, default /etc/systemd/network): the names' `.link` files; '' writes none. */
  linkDir: string;
  /** `sysfsNetDir` (SYSFS_NET_DIR). */
  sysfsNetDir: string;
  log: Log;
  /** Runs every command; default runCommand. Tests inject a spy. */
  run?: CommandRunner;
}

/** The backend, plus the reader of other profiles' claims that the ownership check and resync's audit use. */
export interface NetworkManagerBackend extends HostBackend {
  /** Claims of other NetworkManager profiles on each of `nics`, by `newName` (see readNmClaims). */
  claims(nics: readonly NmNic[]): Promise<Map<string, NmClaim[]>>;
}

/** Everything after the two header lines: what NetworkManager itself reads. */
function keyfileBody(content: Buffer): string {
  return content.toString().split('\n').slice(2).join('\n');
}

const parse = (text: string, file?: string) => parseOwnedHeader(text, keyfileNameFor, file);

/** MultiNIC's own keyfiles in `dir` (multinic-multinicN.nmconnection), parsed back; never follows a symlink. */
export function readOwnedKeyfiles(dir: string): Promise<OwnedFile[]> {
  return readOwnedIn(dir, { isOwnedFileName: (f) => interfaceNameOfKeyfile(f) !== undefined, parse });
}

/**
 * The NetworkManager backend (RHEL, Rocky, Alma): one `multinic-multinicN.nmconnection`
 * keyfile per interface in `connectionsDir` (nm-settings-keyfile(5)), validated by
 * NetworkManager's own reader (`nmcli --offline connection modify < file`, compared value by
 * value with what was meant: checkNormalised), applied with `nmcli connection reload` and
 * `reapply` / `up` of the changed profiles, after renaming the NIC to multinicN with `ip`
 * (applyKeyfiles). The name must also survive a reboot and a re-plug, where the kernel
 * names the NIC anew and NetworkManager (which never renames) would configure it under
 * that name: a systemd `.link` file per interface (link-files.ts) has udev name it
 * multinicN when it appears. Neither alone is enough — `ip link set` is gone at the next
 * boot, and udev applies `.link` files only to devices it adds — so, like netplan, both.
 * `nmcli --offline` exists since NetworkManager 1.40 (nmcli(1)); an older nmcli that does
 * not know it is reported once and validation then rests on the load-and-check of the apply.
 * Other profiles claiming the NIC are refused in validate (readNmClaims).
 */
export function createNetworkManagerBackend(options: NetworkManagerBackendOptions): NetworkManagerBackend {
  const { connectionsDir, ifcfgDir, linkDir, nmcliCommand, kernel, applyTimeoutMs, sysfsNetDir, log } = options;
  const run = options.run ?? runCommand;
  const sources = { connectionsDir, ifcfgDir, nmcli: { command: nmcliCommand, run, timeoutMs: applyTimeoutMs, log } };
  const claims = async (nics: readonly NmNic[]) => new Map(await Promise.all(nics.map(async (n) => [n.newName, await readNmClaims(sources, n)] as const)));
  /** Bytes of each keyfile as last made live by this process (see applyKeyfiles). */
  const applied = new Map<string, Buffer>();
  let offline = true;
  const readOwned = () => readOwnedKeyfiles(connectionsDir);
  return {
    name: 'networkmanager',
    dir: connectionsDir,
    fileNameFor: keyfileNameFor,
    interfaceNameOf: interfaceNameOfKeyfile,
    readOwned,
    render: (iface) => Buffer.from(renderKeyfile(iface)),
    sameEffect: (a, b) => keyfileBody(a) === keyfileBody(b),
    claims,
    async validate({ write, writes = [] }) {
      // Removing a keyfile needs no check: NM deactivates the profile on reload.
      // A batch's every keyfile gets the checks of a single one: claims on its NIC, then NetworkManager's reader.
      const files = write && !writes.includes(write) ? [write, ...writes] : writes;
      for (const file of files) {
        const mac = normalizeMac(file.iface.macAddress);
        const nic = { mac, currentName: (await findNicByMac(sysfsNetDir, mac)) ?? file.iface.name, newName: file.iface.name };
        const found = await readNmClaims(sources, nic);
        if (found.length > 0) {
          // One owner per NIC (docs/DESIGN.md "Never fight another owner"): two profiles for one NIC fight on every activation.
          const named = found.map((c) => `${c.files.join(', ')} (${c.definition}) ${c.how}`).join('; ');
          throw new HostError(`refusing ${nic.currentName} (MAC ${mac}) as ${nic.newName}: another NetworkManager profile claims it: ${named}`);
        }
      }
      for (const file of files) {
        if (!offline) return;
        let stdout: string;
        try {
          ({ stdout } = await run([...nmcliCommand, '--offline', 'connection', 'modify'], { timeoutMs: applyTimeoutMs, log, input: keyfileBody(file.content) }));
        } catch (err) {
          if (err instanceof CommandFailedError && /offline/i.test(err.stderrTail) && /unknown|invalid|not support/i.test(err.stderrTail)) {
            offline = false;
            log.warn({ err }, 'this nmcli has no --offline (NetworkManager < 1.40): keyfiles are checked only by loading them');
            return;
          }
          throw err;
        }
        checkNormalised(file.iface, stdout);
      }
    },
    async apply(applyLog: Log) {
      const started = Date.now();
      await applyKeyfiles({ nmcli: nmcliCommand, kernel, linkDir, sysfsNetDir, timeoutMs: applyTimeoutMs, run, log: applyLog }, await readOwned(), applied);
      applyLog.info({ durationMs: Date.now() - started }, 'NetworkManager applied');
    },
  };
}
