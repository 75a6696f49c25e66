import { lstat, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfiguredInterface, HostBatchChange, HostBatchResult, HostChange, InterfaceHost } from '../model/ports.js';
import { HostError } from '../errors/errors.js';
import type { InterfaceEventData } from '../events/types.js';
import type { Log } from '../log/logger.js';
import { INTERFACE_NAME } from '../model/interface-name.js';
import { createSerializer } from '../lib/serial.js';
import { assertMayConfigure, type AddressReader } from './addresses.js';
import type { ApplyChange, HostBackend, OwnedFile } from './backend.js';
import type { Kernel, KernelState } from './kernel.js';
import { addressDelta, expectationOf, KernelGuard } from './kernel-guard.js';
import { backupOwnedFiles } from './backup.js';
import { writeFileAtomic } from './files.js';
import { applyBatchLocked } from './batch.js';
import { assertStillOurs, OwnedFileCache, ownedRecord, type OwnedView } from './owned-cache.js';
import type { NicIdentity } from './ownership.js';
import { auditOwnership, type ClaimedPort } from './ownership-audit.js';
import { planAttach, type PlanContext } from './plan-attach.js';
import { checkOverlap, probeGate, type HostSafety } from './safety.js';
import { normalizeMac, readDriver, readOperstate, waitForNicName } from './sysfs.js';
import { runTransaction, type TransactionSteps } from './transaction.js';

/** What ManagedHost needs besides its backend, injected so tests run on temp dirs without root. */
export interface ManagedHostDeps {
  /** `netplan.backupDir` (NETPLAN_BACKUP_DIR, default /var/backups/netplan). */
  backupDir: string;
  /** `netplan.backupKeep` (default 20). */
  backupKeep: number;
  /** `sysfsNetDir` (SYSFS_NET_DIR, default /sys/class/net). */
  sysfsNetDir: string;
  /** `agent.nicWait` (default 30 s): how long to wait for a hot-plugged NIC. */
  nicWaitMs: number;
  /** `agent.allowTakeover` (default false). */
  allowTakeover: boolean;
  addresses: AddressReader;
  /**
   * The host's kernel (`ip` through IP_COMMAND): a snapshot before each change and the check
   * after it. null where there is no kernel to read (the sandbox's fake sysfs): then only
   * the NIC's name under sysfs is verified.
   */
  kernel: Kernel | null;
  log: Log;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  /** AGENT_VERIFY_TIMEOUT: how long after apply the kernel may take to show the change (name, addresses, MTU, routes); default 10 s. */
  verifyTimeoutMs?: number;
  /** Re-read the owned files from disk at least this often even when nothing looks changed; default 60 s. */
  ownedCacheMaxAgeMs?: number;
  /**
   * Told of every backend apply (a change's and a rollback's), timed alone: the agent's root
   * records `multinic_apply_duration_seconds{backend,result}` here. Must not throw.
   */
  onApply?: (e: { backend: string; ok: boolean; seconds: number }) => void;
  /** Overlap refusal and probe gate (src/host/safety.ts), on `kernel`'s snapshot; they need a kernel, and are absent in a sandbox. */
  safety?: HostSafety;
}

/** Interface number of a multinicN name: owned files are kept in that order, as a backend reads them. */
function ordinal(name: string): number {
  return Number(/(\d+)$/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);
}

/**
 * The InterfaceHost of a real (or sandboxed) node, for any HostBackend: NICs by MAC under
 * sysfs, one owned file per interface, the backend's validation, bounded backups, the
 * backend's apply, verification and byte-for-byte rollback. Every operation runs under one
 * in-process serializer, because an event and the periodic resync may overlap.
 *
 * The owned files are kept in memory (OwnedFileCache): read once, updated on every write
 * and removal, dropped after any failure or rollback, and read again when a stat of the
 * directory or of an owned file says someone else changed them. Before a file is deleted
 * or overwritten, its bytes on disk are checked against the cache, so a stale view can
 * at worst fail an event, never touch a file that is not ours.
 */
export class ManagedHost implements InterfaceHost {
  private readonly serial = createSerializer();
  private readonly verifyTimeoutMs: number;
  private readonly cache: OwnedFileCache;
  private readonly guard: KernelGuard;
  /**
   * Names this process has written into a file, by MAC, kept after a rollback removed the
   * file again: a failed apply may already have renamed the NIC, so the name stays that
   * MAC's (its retry gets it back) and is never handed to another MAC. Released when the
   * port is removed. After a restart the NIC's name under sysfs guards the same way.
   */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly deps: ManagedHostDeps,
    private readonly backend: HostBackend,
  ) {
    this.verifyTimeoutMs = deps.verifyTimeoutMs ?? 10_000;
    this.guard = new KernelGuard({ kernel: deps.kernel, timeoutMs: this.verifyTimeoutMs, sleep: deps.sleep, now: () => deps.now().getTime(), unsettled: backend.unsettled?.bind(backend) });
    this.cache = new OwnedFileCache({ dir: backend.dir, read: () => backend.readOwned(), now: () => deps.now().getTime(), maxAgeMs: deps.ownedCacheMaxAgeMs });
  }

  configure(data: InterfaceEventData, origin: string): Promise<HostChange> {
    return this.locked(() => this.configureLocked(data, origin));
  }

  remove(portId: string): Promise<{ name: string | null; changed: boolean }> {
    return this.locked(() => this.removeLocked(portId));
  }

  /** InterfaceHost.applyBatch: several changes, one validation, one apply, one rollback (src/host/batch.ts). */
  applyBatch(changes: readonly HostBatchChange[]): Promise<HostBatchResult[]> {
    return this.locked(async () => {
      const log = this.deps.log;
      return applyBatchLocked(
        {
          backend: this.backend,
          view: await this.cache.get(),
          plan: this.planContext(log),
          written: this.written,
          assertReplaceable: (file, current) => this.assertReplaceable(file, current),
          verifyName: (mac, name) => waitForNicName(this.deps.sysfsNetDir, mac, name, { timeoutMs: this.verifyTimeoutMs, ...this.wait }),
          guard: this.guard,
          safety: this.deps.safety,
          transact: (owned, txLog, change, kernel, steps) => this.transact(owned, txLog, change, kernel, steps),
          recordChange: (before, written, gone) => this.recordChange(before, written, gone),
          log,
        },
        changes,
      );
    });
  }

  listConfigured(): Promise<ConfiguredInterface[]> {
    return this.locked(async () => (await this.cache.get()).owned.map((o) => o.iface));
  }

  /**
   * Claims of other configurations on the NICs MultiNIC configured (auditOwnership): one
   * reason per claimed port. Changes nothing; resync reports them on the Node.
   */
  audit(): Promise<ClaimedPort[]> {
    return this.locked(async () => auditOwnership((await this.cache.get()).owned.map((o) => o.iface), this.deps.sysfsNetDir, this.backend));
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

  private planContext(log: Log): PlanContext {
    const { sysfsNetDir, nicWaitMs } = this.deps;
    return { backend: this.backend, sysfsNetDir, nicWaitMs, wait: this.wait, written: this.written, guardTakeover: (i, m, o) => this.guardTakeover(i, m, o), log };
  }

  private async configureLocked(data: InterfaceEventData, origin: string): Promise<HostChange> {
    const { sysfsNetDir } = this.deps;
    const { dir } = this.backend;
    const log = this.deps.log.child({ portId: data.portId, macAddress: normalizeMac(data.macAddress) });
    const view = await this.cache.get();
    const { owned } = view;
    const { mac, ifname, name, iface, content, file, replaced, current, unchanged } = await planAttach(this.planContext(log), view, data, origin);
    if (unchanged) return { name, changed: false };

    // One read of the kernel serves the overlap refusal, the probes and the verification after apply.
    const before = await this.guard.snapshot();
    const others = owned.filter((o) => o.iface.portId !== data.portId && normalizeMac(o.iface.macAddress) !== mac).map((o) => o.iface);
    checkOverlap(this.deps.safety, before, { portId: data.portId, cidr: iface.cidr, nicNames: [ifname, name], ownedNames: owned.map((o) => o.iface.name), others });
    const nic: NicIdentity = { mac, currentName: ifname, newName: name, driver: readDriver(sysfsNetDir, ifname) };
    await this.validate(iface, file, content, replaced, current, nic);
    const previous = current ? [current, ...replaced] : replaced;
    for (const o of previous) await assertStillOurs(o);
    const { stale, added } = addressDelta(previous.map((o) => o.iface), iface);
    const names = [...new Set([ifname, name, ...previous.map((o) => o.iface.name)])];
    const change: ApplyChange = { renames: ifname === name ? [] : [{ from: ifname, to: name }], interfaces: [...new Set([name, ...replaced.map((o) => o.iface.name)])], rollback: false };
    await this.transact(owned, log, change, { before, changing: names }, {
      mutate: async () => {
        this.written.set(mac, name);
        await mkdir(dir, { recursive: true });
        await writeFileAtomic(join(dir, file), content, 0o600);
        for (const o of replaced) await unlink(o.path);
      },
      verify: async () => {
        await waitForNicName(sysfsNetDir, mac, name, { timeoutMs: this.verifyTimeoutMs, ...this.wait });
        await this.guard.verify(before, { expect: [expectationOf(iface)], stale, changed: names }, log);
      },
      afterRollback: () => this.guard.undo(before, added, log),
    });
    await this.recordChange(view, [ownedRecord(dir, file, content, iface)], [file, ...replaced.map((o) => o.file)]);
    log.info({ interface: name, file, replaced: replaced.map((o) => o.file), previousName: ifname }, 'interface configured');
    return { name, changed: true };
  }

  private async removeLocked(portId: string): Promise<{ name: string | null; changed: boolean }> {
    const log = this.deps.log.child({ portId });
    const view = await this.cache.get();
    const { owned } = view;
    const targets = owned.filter((o) => o.iface.portId === portId);
    if (targets.length === 0) return { name: null, changed: false };

    await this.backend.validate({ remove: targets.map((t) => t.file) });
    for (const t of targets) await assertStillOurs(t);
    const before = await this.guard.snapshot();
    const { stale } = addressDelta(targets.map((t) => t.iface), undefined);
    const names = targets.map((t) => t.iface.name);
    await this.transact(owned, log, { renames: [], interfaces: names, rollback: false }, { before, changing: names }, {
      mutate: async () => {
        for (const t of targets) await unlink(t.path);
      },
      verify: async () => {
        for (const t of targets) {
          if (await lstat(t.path).then(() => true, () => false)) throw new HostError(`${t.file} is still present after removal`);
        }
        await this.guard.verify(before, { expect: [], stale, changed: names }, log);
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

  /** Refuses to replace a file that is not ours, then has the backend validate the whole candidate configuration. */
  private async validate(iface: ConfiguredInterface, file: string, content: Buffer, replaced: readonly OwnedFile[], owned: OwnedFile | undefined, nic: NicIdentity): Promise<void> {
    await this.assertReplaceable(file, owned);
    await this.backend.validate({ write: { file, content, iface }, remove: replaced.map((o) => o.file), nic });
  }

  /** Refuses to write `file` when it exists and is not a regular file of ours (`owned` is our record of it). */
  private async assertReplaceable(file: string, owned: OwnedFile | undefined): Promise<void> {
    const target = join(this.backend.dir, file);
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !existing.isFile()) throw new HostError(`${target} exists and is not a regular file; MultiNIC will not replace it`);
    if (existing && !owned) throw new HostError(`${target} exists but is not a MultiNIC file; MultiNIC will not replace it`);
  }

  /**
   * One change of MultiNIC's files: the probes that pass before it (`kernel.before`, the
   * snapshot; `kernel.changing`: the NICs whose routes may change), back up `owned`,
   * `mutate`, have the backend apply `change`, `verify`, then those probes again; on any
   * failure runTransaction restores `owned` byte for byte, applies again (no rename: a
   * renamed NIC keeps its multinicN name) and runs `afterRollback`.
   */
  private async transact(
    owned: readonly OwnedFile[],
    log: Log,
    change: ApplyChange,
    kernel: { before: KernelState | undefined; changing: readonly string[] },
    steps: Pick<TransactionSteps, 'mutate' | 'verify' | 'afterRollback'>,
  ): Promise<void> {
    const { backupDir, backupKeep, now } = this.deps;
    const { backend } = this;
    const probed = await probeGate(this.deps.safety, this.deps.kernel, kernel.before, [...kernel.changing, ...owned.map((o) => o.iface.name)], log);
    return runTransaction({
      dir: backend.dir,
      readOwned: () => backend.readOwned(),
      before: owned,
      log,
      backup: () => backupOwnedFiles(owned.map((o) => ({ file: o.file, content: o.content })), { backupDir, keep: backupKeep, now, log }),
      apply: (rollback) => this.timedApply(log, rollback ? { renames: [], interfaces: change.interfaces, rollback } : change),
      ...steps,
      verify: async () => {
        await steps.verify();
        await probed();
      },
    });
  }

  /** The backend's apply of `change` (targeted, or a rollback), timed for `onApply`. */
  private async timedApply(log: Log, change: ApplyChange): Promise<void> {
    const started = performance.now();
    let ok = false;
    try {
      await this.backend.apply(log, change);
      ok = true;
    } finally {
      this.deps.onApply?.({ backend: this.backend.name, ok, seconds: (performance.now() - started) / 1000 });
    }
  }

  /** Puts MultiNIC's own successful change into the cached view: `written` added, `gone` files dropped. */
  private async recordChange(before: OwnedView, written: OwnedFile[], gone: string[]): Promise<void> {
    const goneSet = new Set(gone);
    const keep = (f: string) => !goneSet.has(f) || written.some((w) => w.file === f);
    const owned = [...before.owned.filter((o) => !goneSet.has(o.file)), ...written].sort((a, b) => ordinal(a.iface.name) - ordinal(b.iface.name));
    const entries = [...new Set([...before.entries.filter(keep), ...written.map((w) => w.file)])];
    await this.cache.replace(owned, entries);
  }
}
