import { lstat, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfiguredInterface, HostChange, InterfaceHost } from '../agent/ports.js';
import { HostError } from '../errors/errors.js';
import type { InterfaceEventData } from '../events/types.js';
import type { Log } from '../log/logger.js';
import { checkGenerated } from '../netplan/check-generated.js';
import { validateWithNetplan } from '../netplan/generate.js';
import { allocateName } from '../netplan/naming.js';
import { isOwnedFileName, readAllYaml, readOwnedFiles, writeFileAtomic, type OwnedFile } from '../netplan/owned-files.js';
import { fileNameFor, INTERFACE_NAME, renderInterface } from '../netplan/render.js';
import { assertMayConfigure, type AddressReader } from './addresses.js';
import { backupOwnedFiles } from './backup.js';
import { runCommand, type CommandRunner } from './command.js';
import { Mutex } from './mutex.js';
import { listHostInterfaces, normalizeMac, readOperstate, waitForNic, waitForNicName } from './sysfs.js';
import { runTransaction } from './transaction.js';

/** Everything NetplanHost touches, injected so tests run on temp dirs without root. */
export interface NetplanHostDeps {
  /** `netplan.dir` (NETPLAN_DIR, default /etc/netplan). */
  netplanDir: string;
  /** `netplan.backupDir` (NETPLAN_BACKUP_DIR, default /var/backups/netplan). */
  backupDir: string;
  /** `netplan.backupKeep` (default 20). */
  backupKeep: number;
  /** `sysfsNetDir` (SYSFS_NET_DIR, default /sys/class/net). */
  sysfsNetDir: string;
  /** argv of `netplan apply` (default nsenter into PID 1); never run through a shell. */
  applyCommand: readonly string[];
  /** `netplan.applyTimeout` (default 60 s). */
  applyTimeoutMs: number;
  /** netplan binary for `generate --root-dir` validation; '' skips validation. */
  generateCommand: string;
  /** `agent.nicWait` (default 30 s): how long to wait for a hot-plugged NIC. */
  nicWaitMs: number;
  /** `agent.allowTakeover` (default false). */
  allowTakeover: boolean;
  addresses: AddressReader;
  log: Log;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  /** How long after apply the NIC may take to show up under its new name; default 10 s. */
  verifyTimeoutMs?: number;
  /** Runs the apply command; default runCommand. Tests inject a spy. */
  run?: CommandRunner;
  /** Where `netplan generate` gets its scratch root; default os.tmpdir(). */
  tmpDir?: string;
}

/** Everything but the two comment lines (marker, meta): what netplan itself reads. */
function netplanBody(content: Buffer | string): string {
  const text = content.toString();
  return text.split('\n').slice(2).join('\n');
}

/**
 * The InterfaceHost of a real (or sandboxed) node: NICs by MAC under sysfs, one owned
 * netplan file per interface, `netplan generate` validation, bounded backups, apply with
 * a timeout, verification and byte-for-byte rollback. Every operation runs under one
 * in-process mutex, because an event and the periodic resync may overlap.
 */
export class NetplanHost implements InterfaceHost {
  private readonly mutex = new Mutex();
  private readonly run: CommandRunner;
  private readonly verifyTimeoutMs: number;

  constructor(private readonly deps: NetplanHostDeps) {
    this.run = deps.run ?? runCommand;
    this.verifyTimeoutMs = deps.verifyTimeoutMs ?? 10_000;
  }

  configure(data: InterfaceEventData, origin: string): Promise<HostChange> {
    return this.mutex.run(() => this.configureLocked(data, origin));
  }

  remove(portId: string): Promise<{ name: string | null; changed: boolean }> {
    return this.mutex.run(() => this.removeLocked(portId));
  }

  listConfigured(): Promise<ConfiguredInterface[]> {
    return this.mutex.run(async () => (await readOwnedFiles(this.deps.netplanDir)).map((o) => o.iface));
  }

  private get wait() {
    return { sleep: this.deps.sleep, now: () => this.deps.now().getTime() };
  }

  private async configureLocked(data: InterfaceEventData, origin: string): Promise<HostChange> {
    const { netplanDir, sysfsNetDir } = this.deps;
    const mac = normalizeMac(data.macAddress);
    const log = this.deps.log.child({ portId: data.portId, macAddress: mac });
    const ifname = await waitForNic(sysfsNetDir, mac, { timeoutMs: this.deps.nicWaitMs, ...this.wait });
    const owned = await readOwnedFiles(netplanDir);
    await this.guardTakeover(ifname, mac, owned);

    // Owned-looking names that are not ours stay reserved: their files are never overwritten.
    const strangers = (await this.listDir()).filter((f) => isOwnedFileName(f) && !owned.some((o) => o.file === f));
    const hostNames = (await listHostInterfaces(sysfsNetDir)).filter((n) => n !== ifname);
    const name = allocateName(mac, owned.map((o) => o.iface), [...hostNames, ...strangers.map((f) => f.slice('90-multinic-'.length, -'.yaml'.length))]);
    const iface: ConfiguredInterface = {
      name,
      macAddress: mac,
      portId: data.portId,
      subnetId: data.subnetId,
      networkId: data.networkId,
      cidr: data.cidr,
      address: data.address,
      mtu: data.mtu,
      generation: data.generation,
      origin,
    };
    const content = Buffer.from(renderInterface(iface));
    const file = fileNameFor(name);
    // Files this change replaces: the port's file under an old name/MAC, or another port's file for this MAC.
    const replaced = owned.filter((o) => o.file !== file && (o.iface.portId === data.portId || normalizeMac(o.iface.macAddress) === mac));
    const current = owned.find((o) => o.file === file);

    // The NIC already carrying its name is the proof the file was applied, not just written (a crash in between).
    if (current && current.iface.portId === data.portId && replaced.length === 0 && ifname === name) {
      if (current.content.equals(content)) return { name, changed: false };
      if (netplanBody(current.content) === netplanBody(content)) {
        // Only the meta line (generation, origin) differs: netplan would see no change, so nothing is written.
        log.debug({ interface: name }, 'netplan content unchanged; keeping the file as it is');
        return { name, changed: false };
      }
    }

    await this.validate(iface, file, content, replaced, current);
    await runTransaction({
      netplanDir,
      before: owned,
      log,
      backup: () => this.backup(owned, log),
      mutate: async () => {
        await mkdir(netplanDir, { recursive: true });
        await writeFileAtomic(join(netplanDir, file), content, 0o600);
        for (const o of replaced) await unlink(o.path);
      },
      apply: () => this.apply(log),
      verify: () => waitForNicName(sysfsNetDir, mac, name, { timeoutMs: this.verifyTimeoutMs, ...this.wait }),
    });
    log.info({ interface: name, file, replaced: replaced.map((o) => o.file), previousName: ifname }, 'interface configured');
    return { name, changed: true };
  }

  private async removeLocked(portId: string): Promise<{ name: string | null; changed: boolean }> {
    const { netplanDir } = this.deps;
    const log = this.deps.log.child({ portId });
    const owned = await readOwnedFiles(netplanDir);
    const targets = owned.filter((o) => o.iface.portId === portId);
    if (targets.length === 0) return { name: null, changed: false };

    if (this.deps.generateCommand !== '') {
      const files = await readAllYaml(netplanDir);
      for (const t of targets) files.delete(t.file);
      await validateWithNetplan({ generateCommand: this.deps.generateCommand, files, tmpDir: this.deps.tmpDir });
    }
    await runTransaction({
      netplanDir,
      before: owned,
      log,
      backup: () => this.backup(owned, log),
      mutate: async () => {
        for (const t of targets) await unlink(t.path);
      },
      apply: () => this.apply(log),
      verify: async () => {
        for (const t of targets) {
          if (await lstat(t.path).then(() => true, () => false)) throw new HostError(`${t.file} is still present after removal`);
        }
      },
    });
    log.info({ interface: targets[0].iface.name, files: targets.map((t) => t.file) }, 'interface configuration removed');
    return { name: targets[0].iface.name, changed: true };
  }

  /** Refuses a NIC that is up with foreign addresses, unless it is already ours or takeover is allowed. */
  private async guardTakeover(ifname: string, mac: string, owned: readonly OwnedFile[]): Promise<void> {
    const ours = owned.some((o) => normalizeMac(o.iface.macAddress) === mac) || INTERFACE_NAME.test(ifname);
    if (ours || this.deps.allowTakeover) return;
    const operstate = await readOperstate(this.deps.sysfsNetDir, ifname);
    const addresses = operstate === 'down' ? [] : await this.deps.addresses(ifname);
    assertMayConfigure({ ifname, mac, operstate, addresses, ours, allowTakeover: this.deps.allowTakeover });
  }

  /** Validates the whole candidate /etc/netplan (ours and others') with the real `netplan generate`. */
  private async validate(iface: ConfiguredInterface, file: string, content: Buffer, replaced: readonly OwnedFile[], owned: OwnedFile | undefined): Promise<void> {
    const target = join(this.deps.netplanDir, file);
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !existing.isFile()) throw new HostError(`${target} exists and is not a regular file; MultiNIC will not replace it`);
    if (existing && !owned) throw new HostError(`${target} exists but is not a MultiNIC file; MultiNIC will not replace it`);
    if (this.deps.generateCommand === '') return;
    const files = await readAllYaml(this.deps.netplanDir);
    for (const o of replaced) files.delete(o.file);
    files.set(file, content);
    const { networkd } = await validateWithNetplan({ generateCommand: this.deps.generateCommand, files, tmpDir: this.deps.tmpDir });
    checkGenerated(iface, networkd);
  }

  private backup(owned: readonly OwnedFile[], log: Log): Promise<string> {
    const { backupDir, backupKeep, now } = this.deps;
    return backupOwnedFiles(owned.map((o) => ({ file: o.file, content: o.content })), { backupDir, keep: backupKeep, now, log });
  }

  private async apply(log: Log): Promise<void> {
    const { durationMs } = await this.run(this.deps.applyCommand, { timeoutMs: this.deps.applyTimeoutMs, log });
    log.info({ durationMs }, 'netplan applied');
  }

  private async listDir(): Promise<string[]> {
    return readdir(this.deps.netplanDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
  }
}
