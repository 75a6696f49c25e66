import type { ConfiguredInterface } from '../model/ports.js';
import { HostError } from '../errors/errors.js';
import { INTERFACE_NAME } from '../model/interface-name.js';

const macKey = (mac: string): string => mac.trim().toLowerCase().replace(/-/g, ':');

/**
 * The stable `multinicN` name of a MAC. Pure. The same MAC keeps the name its owned file
 * already has; a new MAC gets the lowest N whose name is neither in an owned file nor an
 * interface present on the host (`hostNames`, the names under sysfs), so a live NIC is
 * never renamed onto and gaps are reused. No upper bound besides Linux's 15-byte names.
 * Throws HostError when the owned files already give this MAC's name to another MAC:
 * the state is corrupt and guessing could rename a NIC in use.
 */
export function allocateName(mac: string, owned: ReadonlyArray<Pick<ConfiguredInterface, 'name' | 'macAddress'>>, hostNames: ReadonlyArray<string>): string {
  const key = macKey(mac);
  const mine = owned.filter((o) => macKey(o.macAddress) === key).map((o) => o.name);
  if (mine.length > 0) {
    // Several files for one MAC: keep the lowest number, deterministically; the caller removes the rest.
    const name = mine.sort((a, b) => ordinal(a) - ordinal(b))[0]!;
    const other = owned.find((o) => o.name === name && macKey(o.macAddress) !== key);
    if (other) throw new HostError(`${name} is claimed by both ${key} and ${macKey(other.macAddress)} in MultiNIC's files`);
    return name;
  }
  const taken = new Set<string>([...owned.map((o) => o.name), ...hostNames]);
  for (let n = 0; ; n += 1) {
    const name = `multinic${n}`;
    if (!INTERFACE_NAME.test(name)) throw new HostError('no multinicN name left within the 15-byte interface name limit');
    if (!taken.has(name)) return name;
  }
}

function ordinal(name: string): number {
  return Number(name.slice('multinic'.length));
}

/** What the allocator needs to see of the host at the moment it allocates. */
export interface NamingSnapshot {
  owned: ReadonlyArray<Pick<ConfiguredInterface, 'name' | 'macAddress'>>;
  hostNames: ReadonlyArray<string>;
}

/**
 * Makes allocations inside one process collision-free: allocations run one at a time,
 * each sees a fresh snapshot, and a name handed out stays reserved for its MAC until
 * `release(mac)` (call it once the file is written, or the attempt failed), so two MACs
 * allocating before either file exists cannot get the same name.
 */
export class NameAllocator {
  private readonly reserved = new Map<string, string>();
  private tail: Promise<unknown> = Promise.resolve();

  /** `snapshot` reads the owned files and host interface names; it runs inside the lock. */
  allocate(mac: string, snapshot: () => Promise<NamingSnapshot>): Promise<string> {
    const run = this.tail.then(async () => {
      const { owned, hostNames } = await snapshot();
      const key = macKey(mac);
      const onDisk = owned.some((o) => macKey(o.macAddress) === key);
      const reservedName = this.reserved.get(key);
      if (!onDisk && reservedName !== undefined) return reservedName;
      const pending = [...this.reserved].filter(([m]) => m !== key).map(([macAddress, name]) => ({ macAddress, name }));
      const name = allocateName(key, [...owned, ...pending], hostNames);
      this.reserved.set(key, name);
      return name;
    });
    // A failed allocation must not block the ones queued behind it.
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Drops the reservation of `mac`; its owned file (if written) now holds the name. */
  release(mac: string): void {
    this.reserved.delete(macKey(mac));
  }

  /** Names currently reserved and not yet released, for diagnostics and tests. */
  reservations(): ReadonlyMap<string, string> {
    return this.reserved;
  }
}
