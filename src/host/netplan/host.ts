import { lstat, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfiguredInterface, HostChange, InterfaceHost } from '../../model/ports.js';
import { HostError } from '../../errors/errors.js';
import type { InterfaceEventData } from '../../events/types.js';
import type { Log } from '../../log/logger.js';
import { checkGenerated } from './check-generated.js';
import { validateWithNetplan } from './generate.js';
import { allocateName } from '../naming.js';
import { isOwnedFileName, readAllYaml, writeFileAtomic, type OwnedFile } from './owned-files.js';
import { configuredInterface } from '../../model/configured.js';
import { INTERFACE_NAME } from '../../model/interface-name.js';
import { fileNameFor, renderInterface } from './render.js';
import { assertMayConfigure, type AddressReader } from '../addresses.js';
import { backupOwnedFiles } from '../backup.js';
import { runCommand, type CommandRunner } from '../command.js';
import { createSerializer } from '../../lib/serial.js';
import { assertStillOurs, OwnedFileCache, ownedRecord, type OwnedView } from '../owned-cache.js';
import { listHostInterfaces, normalizeMac, readOperstate, waitForNic, waitForNicName } from '../sysfs.js';
import { runTransaction, type TransactionSteps } from '../transaction.js';

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
  /** Re-read the owned files from disk at least this often even when nothing looks changed; default 60 s. */
  ownedCacheMaxAgeMs?: number;
}

/** Interface number of an owned file name: owned files are listed in that order, as readOwnedFiles does. */
function ordinal(file: string): number {
  return Number(/(\d+)\.yaml$/.exec(file)?.[1] ?? Number.MAX_SAFE_INTEGER);
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
 * in-process serializer, because an event and the periodic resync may overlap.
 *
 * The owned files are kept in memory (OwnedFileCache): read once, updated on every write
 * and removal, dropped after any failure or rollback, and read again when a stat of the
 * directory or of an owned file says someone else changed them. Before a file is deleted
 * or overwritten, its bytes on disk are checked against the cache, so a stale view can
 * at worst fail an event, never touch a file that is not ours.
 */
export class NetplanHost implements InterfaceHost {
  private readonly serial = createSerializer();
  private readonly run: CommandRunner;
  private readonly verifyTimeoutMs: number;
  private readonly cache: OwnedFileCache;
  /**
   * Names this process has written into a file, by MAC, kept after a rollback removed the
   * file again: a failed apply may already have renamed the NIC, so the name stays that
   * MAC's (its retry gets it back) and is never handed to another MAC. Released when the
   * port is removed. After a restart the NIC's name under sysfs guards the same way.
   */
  private readonly written = new Map<string, string>();

  constructor(private readonly deps: NetplanHostDeps) {
    this.run = deps.run ?? runCommand;
    this.verifyTimeoutMs = deps.verifyTimeoutMs ?? 10_000;
    this.cache = new OwnedFileCache({ dir: deps.netplanDir, now: () => deps.now().getTime(), maxAgeMs: deps.ownedCacheMaxAgeMs });
  }

  configure(data: InterfaceEventData, origin: string): Promise<HostChange> {
    return this.locked(() => this.configureLocked(data, origin));
  }

  remove(portId: string): Promise<{ name: string | null; changed: boolean }> {
    return this.locked(() => this.removeLocked(portId));
  }

  listConfigured(): Promise<ConfiguredInterface[]> {
    return this.locked(async () => (await this.cache.get()).owned.map((o) => o.iface));
  }

  /** Forgets the in-memory view of the owned files; the next operation reads them from disk (e.g. at a resync). */
  refresh(): Promise<void> {
    return this.locked(async () => this.cache.invalidate());
  }

  /** Runs `fn` under the host's serializer; any failure (a rollback included) drops the cached view. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      try {
        return await fn();
      } catch (err) {
        this.cache.invalidate();
        throw err;
      }
    });
  }

  private get wait() {
    return { sleep: this.deps.sleep, now: () => this.deps.now().getTime() };
  }

  private async configureLocked(data: InterfaceEventData, origin: string): Promise<HostChange> {
    const { netplanDir, sysfsNetDir } = this.deps;
    const mac = normalizeMac(data.macAddress);
    const log = this.deps.log.child({ portId: data.portId, macAddress: mac });
    const ifname = await waitForNic(sysfsNetDir, mac, { timeoutMs: this.deps.nicWaitMs, ...this.wait });
    const view = await this.cache.get();
    const { owned } = view;
    await this.guardTakeover(ifname, mac, owned);

    // Owned-looking names that are not ours stay reserved: their files are never overwritten.
    const strangers = view.entries.filter((f) => isOwnedFileName(f) && !owned.some((o) => o.file === f));
    const hostNames = (await listHostInterfaces(sysfsNetDir)).filter((n) => n !== ifname);
    const ownedPairs = owned.map((o) => o.iface);
    const remembered = [...this.written]
      .filter(([m, n]) => !ownedPairs.some((o) => normalizeMac(o.macAddress) === m || o.name === n))
      .map(([macAddress, n]) => ({ macAddress, name: n }));
    const name = allocateName(mac, [...ownedPairs, ...remembered], [...hostNames, ...strangers.map((f) => f.slice('90-multinic-'.length, -'.yaml'.length))]);
    const iface = configuredInterface({ ...data, macAddress: mac }, name, origin);
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
    for (const o of current ? [current, ...replaced] : replaced) await assertStillOurs(o);
    await this.transact(owned, log, {
      mutate: async () => {
        this.written.set(mac, name);
        await mkdir(netplanDir, { recursive: true });
        await writeFileAtomic(join(netplanDir, file), content, 0o600);
        for (const o of replaced) await unlink(o.path);
      },
      verify: () => waitForNicName(sysfsNetDir, mac, name, { timeoutMs: this.verifyTimeoutMs, ...this.wait }),
    });
    await this.recordChange(view, [ownedRecord(netplanDir, file, content, iface)], [file, ...replaced.map((o) => o.file)]);
    log.info({ interface: name, file, replaced: replaced.map((o) => o.file), previousName: ifname }, 'interface configured');
    return { name, changed: true };
  }

  private async removeLocked(portId: string): Promise<{ name: string | null; changed: boolean }> {
    const { netplanDir } = this.deps;
    const log = this.deps.log.child({ portId });
    const view = await this.cache.get();
    const { owned } = view;
    const targets = owned.filter((o) => o.iface.portId === portId);
    if (targets.length === 0) return { name: null, changed: false };

    if (this.deps.generateCommand !== '') {
      const files = await readAllYaml(netplanDir);
      for (const t of targets) files.delete(t.file);
      await validateWithNetplan({ generateCommand: this.deps.generateCommand, files, tmpDir: this.deps.tmpDir });
    }
    for (const t of targets) await assertStillOurs(t);
    await this.transact(owned, log, {
      mutate: async () => {
        for (const t of targets) await unlink(t.path);
      },
      verify: async () => {
        for (const t of targets) {
          if (await lstat(t.path).then(() => true, () => false)) throw new HostError(`${t.file} is still present after removal`);
        }
      },
    });
    await this.recordChange(view, [], targets.map((t) => t.file));
    for (const t of targets) this.written.delete(normalizeMac(t.iface.macAddress));
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

  /**
   * One change of MultiNIC's files: back up `owned`, `mutate`, run the apply command,
   * `verify`; on any failure runTransaction restores `owned` byte for byte and applies again.
   */
  private transact(owned: readonly OwnedFile[], log: Log, steps: Pick<TransactionSteps, 'mutate' | 'verify'>): Promise<void> {
    const { netplanDir, backupDir, backupKeep, now, applyCommand, applyTimeoutMs } = this.deps;
    return runTransaction({
      netplanDir,
      before: owned,
      log,
      backup: () => backupOwnedFiles(owned.map((o) => ({ file: o.file, content: o.content })), { backupDir, keep: backupKeep, now, log }),
      apply: async () => {
        const { durationMs } = await this.run(applyCommand, { timeoutMs: applyTimeoutMs, log });
        log.info({ durationMs }, 'netplan applied');
      },
      ...steps,
    });
  }

  /** Puts MultiNIC's own successful change into the cached view: `written` added, `gone` files dropped. */
  private async recordChange(before: OwnedView, written: OwnedFile[], gone: string[]): Promise<void> {
    const goneSet = new Set(gone);
    const keep = (f: string) => !goneSet.has(f) || written.some((w) => w.file === f);
    const owned = [...before.owned.filter((o) => !goneSet.has(o.file)), ...written].sort((a, b) => ordinal(a.file) - ordinal(b.file));
    const entries = [...new Set([...before.entries.filter(keep), ...written.map((w) => w.file)])];
    await this.cache.replace(owned, entries);
  }
}
