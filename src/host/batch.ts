import { lstat, mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HostError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';
import type { ConfiguredInterface, HostBatchChange, HostBatchResult } from '../model/ports.js';
import type { ApplyChange, HostBackend, OwnedFile } from './backend.js';
import { writeFileAtomic } from './files.js';
import { addressDeltaOf, expectationOf, type KernelGuard } from './kernel-guard.js';
import { assertStillOurs, ownedRecord, type OwnedView } from './owned-cache.js';
import type { KernelState } from './kernel.js';
import type { NicIdentity } from './ownership.js';
import { planAttach, type PlanContext } from './plan-attach.js';
import { checkOverlap, type HostSafety } from './safety.js';
import { normalizeMac, readDriver } from './sysfs.js';
import type { TransactionSteps } from './transaction.js';

/** What a batch needs from ManagedHost, under its lock. */
export interface BatchHost {
  backend: HostBackend;
  view: OwnedView;
  plan: PlanContext;
  /** ManagedHost.written: names by MAC; a batch adds its names before the apply, as configure does. */
  written: Map<string, string>;
  /** Throws HostError when `file` exists and is not a regular file of ours (ManagedHost's check before a write). */
  assertReplaceable: (file: string, current: OwnedFile | undefined) => Promise<void>;
  /** Waits until the NIC with `mac` carries `name` (the verification of configure). */
  verifyName: (mac: string, name: string) => Promise<void>;
  /** ManagedHost's kernel verification: a snapshot before, every changed NIC checked after, the clean-up after a rollback. */
  guard: KernelGuard;
  /** ManagedHost's overlap refusal and probe gate settings (absent: no kernel, as in a sandbox). */
  safety: HostSafety | undefined;
  /**
   * ManagedHost.transact: the probe gate around it (probes before, again after the apply,
   * from `kernel.before`), backup, mutate, apply `change`, verify, rollback — the one transaction.
   */
  transact: (
    owned: readonly OwnedFile[],
    log: Log,
    change: ApplyChange,
    kernel: { before: KernelState | undefined; changing: readonly string[] },
    steps: Pick<TransactionSteps, 'mutate' | 'verify' | 'afterRollback'>,
  ) => Promise<void>;
  /** ManagedHost.recordChange: the cached view after success. */
  recordChange: (before: OwnedView, written: OwnedFile[], gone: string[]) => Promise<void>;
  log: Log;
}

type Write = { file: string; content: Buffer; iface: ConfiguredInterface; mac: string; ifname: string; nic: NicIdentity };

/**
 * Applies several changes as one (InterfaceHost.applyBatch): plans each in order against
 * the owned files as the previous ones leave them (a planning failure — NIC missing, not
 * ours, a file we may not replace, a subnet that overlaps (checkOverlap, on one kernel
 * snapshot, against the owned interfaces and the batch's earlier ones, as one-by-one
 * events would be) — fails that change alone), then for everything that changes: one
 * validation of the whole candidate configuration by the backend (with every NIC written,
 * so it refuses another definition claiming any of them), the probe gate around the one
 * transaction (ManagedHost.transact), one check
 * that every file to be touched is still ours, and one transaction (backup, write and
 * delete, one apply of every changed NIC, verification of every one by the kernel — name,
 * addresses, MTU, link, other routes unchanged, leftover MultiNIC addresses deleted — or
 * restore, apply again and delete what the batch added). Throws when the shared part
 * fails; nothing of the batch then stays applied.
 */
export async function applyBatchLocked(h: BatchHost, changes: readonly HostBatchChange[]): Promise<HostBatchResult[]> {
  const { backend, view } = h;
  const original = new Set(view.owned.map((o) => o.file));
  let owned: OwnedFile[] = [...view.owned];
  const written = new Map(h.written);
  const writes = new Map<string, Write>();
  const removes = new Set<string>();
  const forgotten: string[] = [];
  const results: HostBatchResult[] = [];
  // One read of the kernel serves every overlap refusal, the probes and the verification after apply.
  const before = await h.guard.snapshot();
  const drop = (files: readonly OwnedFile[]) => {
    for (const f of files) {
      writes.delete(f.file);
      if (original.has(f.file)) removes.add(f.file);
    }
    owned = owned.filter((o) => !files.includes(o));
  };

  for (const change of changes) {
    try {
      if (change.op === 'remove') {
        const targets = owned.filter((o) => o.iface.portId === change.portId);
        if (targets.length === 0) results.push({ ok: true, name: null, changed: false });
        else {
          drop(targets);
          for (const t of targets) forgotten.push(normalizeMac(t.iface.macAddress));
          results.push({ ok: true, name: targets[0]!.iface.name, changed: true });
        }
        continue;
      }
      const p = await planAttach({ ...h.plan, written }, { owned, entries: view.entries }, change.data, change.origin);
      if (p.unchanged) {
        results.push({ ok: true, name: p.name, changed: false });
        continue;
      }
      // A file this batch already writes or removes is ours; any other must pass the check a single change passes.
      if (!writes.has(p.file) && !removes.has(p.file)) await h.assertReplaceable(p.file, p.current);
      // `owned` holds the interfaces not in the batch and the batch's earlier ones: a batch port must overlap neither.
      const others = owned.filter((o) => o.iface.portId !== change.data.portId && normalizeMac(o.iface.macAddress) !== p.mac).map((o) => o.iface);
      checkOverlap(h.safety, before, { portId: change.data.portId, cidr: p.iface.cidr, nicNames: [p.ifname, p.name], ownedNames: owned.map((o) => o.iface.name), others });
      const nic: NicIdentity = { mac: p.mac, currentName: p.ifname, newName: p.name, driver: readDriver(h.plan.sysfsNetDir, p.ifname) };
      drop(p.current ? [p.current, ...p.replaced] : p.replaced);
      removes.delete(p.file);
      writes.set(p.file, { file: p.file, content: p.content, iface: p.iface, mac: p.mac, ifname: p.ifname, nic });
      owned.push(ownedRecord(backend.dir, p.file, p.content, p.iface));
      written.set(p.mac, p.name);
      results.push({ ok: true, name: p.name, changed: true });
    } catch (error) {
      results.push({ ok: false, error });
    }
  }
  if (writes.size === 0 && removes.size === 0) return results;

  const list = [...writes.values()];
  await backend.validate({ ...(list.length === 1 ? { write: list[0] } : {}), writes: list, remove: [...removes], nics: list.map((w) => w.nic) });
  const previous = view.owned.filter((o) => writes.has(o.file) || removes.has(o.file));
  for (const o of previous) await assertStillOurs(o);
  const { dir } = backend;
  const { stale, added } = addressDeltaOf(previous.map((o) => o.iface), list.map((w) => w.iface));
  const removedNames = previous.filter((o) => removes.has(o.file)).map((o) => o.iface.name);
  const changed = [...new Set([...list.flatMap((w) => [w.ifname, w.iface.name]), ...previous.map((o) => o.iface.name)])];
  const change: ApplyChange = {
    renames: list.filter((w) => w.ifname !== w.iface.name).map((w) => ({ from: w.ifname, to: w.iface.name })),
    interfaces: [...new Set([...list.map((w) => w.iface.name), ...removedNames])],
    rollback: false,
  };
  await h.transact(view.owned, h.log, change, { before, changing: changed }, {
    mutate: async () => {
      for (const w of list) h.written.set(w.mac, w.iface.name);
      await mkdir(dir, { recursive: true });
      for (const w of list) await writeFileAtomic(join(dir, w.file), w.content, 0o600);
      for (const f of removes) await unlink(join(dir, f));
    },
    verify: async () => {
      for (const w of list) await h.verifyName(w.mac, w.iface.name);
      for (const f of removes) {
        if (await lstat(join(dir, f)).then(() => true, () => false)) throw new HostError(`${f} is still present after removal`);
      }
      await h.guard.verify(before, { expect: list.map((w) => expectationOf(w.iface)), stale, changed }, h.log);
    },
    afterRollback: () => h.guard.undo(before, added, h.log),
  });
  await h.recordChange(view, list.map((w) => ownedRecord(dir, w.file, w.content, w.iface)), [...writes.keys(), ...removes]);
  for (const mac of forgotten) if (![...writes.values()].some((w) => w.mac === mac)) h.written.delete(mac);
  h.log.info({ configured: list.map((w) => w.iface.name), removed: [...removes], changes: changes.length }, 'batch applied');
  return results;
}
