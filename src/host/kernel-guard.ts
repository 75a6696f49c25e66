import type { Log } from '../log/logger.js';
import type { HostBackend, SettleQuery } from './backend.js';
import type { ConfiguredInterface } from '../model/ports.js';
import { parseSubnet, isInvalid } from '../events/network.js';
import type { Kernel, KernelState } from './kernel.js';
import { canonicalCidr, type InterfaceExpectation, type StaleAddresses } from './kernel-check.js';
import { verifyKernel } from './kernel-verify.js';
import { normalizeMac } from './sysfs.js';

/** `address/prefix` MultiNIC sets for `iface` (its address with its subnet's prefix); empty for DHCP. */
export function addressesOf(iface: Pick<ConfiguredInterface, 'address' | 'cidr'>): string[] {
  if (iface.address === null) return [];
  const subnet = parseSubnet(iface.cidr);
  return isInvalid(subnet) ? [] : [canonicalCidr(`${iface.address}/${subnet.prefix}`)];
}

/** What the kernel must show for a configured interface. */
export function expectationOf(iface: ConfiguredInterface): InterfaceExpectation {
  return { mac: normalizeMac(iface.macAddress), name: iface.name, addresses: addressesOf(iface), dhcp: iface.address === null, mtu: iface.mtu };
}

/**
 * For a change from the `previous` interfaces (files being replaced or removed) to `next`
 * (undefined for a removal): what becomes stale (set before, not wanted after, by MAC), and
 * what the change adds (to delete again if it is rolled back).
 */
export function addressDelta(previous: readonly ConfiguredInterface[], next: ConfiguredInterface | undefined): { stale: StaleAddresses[]; added: StaleAddresses[] } {
  return addressDeltaOf(previous, next ? [next] : []);
}

/**
 * addressDelta for several interfaces changed together (a batch): `previous` are all the
 * files the change replaces or removes, `next` all it writes; addresses compare by MAC.
 */
export function addressDeltaOf(previous: readonly ConfiguredInterface[], next: readonly ConfiguredInterface[]): { stale: StaleAddresses[]; added: StaleAddresses[] } {
  const wanted = new Map<string, string[]>();
  for (const n of next) wanted.set(normalizeMac(n.macAddress), addressesOf(n));
  const stale = previous.map((p) => {
    const mac = normalizeMac(p.macAddress);
    const keep = wanted.get(mac) ?? [];
    return { mac, addresses: addressesOf(p).filter((a) => !keep.includes(a)) };
  }).filter((s) => s.addresses.length > 0);
  const had = new Set(previous.filter((p) => wanted.has(normalizeMac(p.macAddress))).map((p) => addressesOf(p).map((a) => `${normalizeMac(p.macAddress)} ${a}`)).flat());
  const added = [...wanted].map(([mac, addresses]) => ({ mac, addresses: addresses.filter((a) => !had.has(`${mac} ${a}`)) })).filter((s) => s.addresses.length > 0);
  return { stale, added };
}

/** What KernelGuard needs. */
export interface KernelGuardOptions {
  /** The host's kernel (IP_COMMAND); null where there is none to read (the sandbox's fake sysfs). */
  kernel: Kernel | null;
  /** AGENT_VERIFY_TIMEOUT: how long the kernel may take to show the change. */
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** The backend's daemon, asked before the kernel is judged (HostBackend.unsettled); absent: the kernel alone. */
  unsettled?: HostBackend['unsettled'];
}

/**
 * Verification by the kernel around one change (DESIGN.md, "Safety on a shared host"): a
 * snapshot before, the check after (each interface's name, addresses, MTU, link up; stale
 * addresses deleted; other interfaces' routes unchanged), and the clean-up after a
 * rollback. With no kernel every step is a no-op (the sandbox verifies names by sysfs only).
 */
export class KernelGuard {
  constructor(private readonly o: KernelGuardOptions) {}

  /** True when there is a kernel to read. */
  get active(): boolean {
    return this.o.kernel !== null;
  }

  /** `unsettled` bound to one change's links, or undefined when the backend cannot tell. */
  private asker(q: SettleQuery, log: Pick<Log, 'debug' | 'warn'>): (() => Promise<string | null>) | undefined {
    const { unsettled } = this.o;
    return unsettled && (() => unsettled(q, log));
  }

  /** The kernel before a change, or undefined without a kernel. */
  async snapshot(): Promise<KernelState | undefined> {
    return this.o.kernel?.read();
  }

  /** See verifyKernel; a no-op without a kernel or a snapshot. @throws HostError naming the mismatch. */
  async verify(before: KernelState | undefined, change: { expect: InterfaceExpectation[]; stale: StaleAddresses[]; changed: string[] }, log: Pick<Log, 'info' | 'warn' | 'debug'>): Promise<void> {
    const { kernel, timeoutMs, sleep, now } = this.o;
    if (!kernel || !before) return;
    await verifyKernel({ kernel, before, ...change, timeoutMs, sleep, now, log, unsettled: this.asker(change, log) });
  }

  /**
   * After a rollback: deletes the addresses the failed change added wherever they still are,
   * and waits (bounded) until every route of `before` is back. Logs what it could not get
   * back; never throws (the caller reports the original failure).
   */
  async undo(before: KernelState | undefined, added: StaleAddresses[], log: Pick<Log, 'info' | 'warn' | 'debug' | 'error'>): Promise<void> {
    const { kernel, timeoutMs, sleep, now } = this.o;
    if (!kernel || !before) return;
    try {
      await verifyKernel({ kernel, before, expect: [], stale: added, changed: [], timeoutMs, sleep, now, log, unsettled: this.asker({ expect: [], stale: added, changed: [] }, log) });
    } catch (err) {
      log.error({ err }, 'after the rollback the kernel is not back to its previous state');
    }
  }
}
