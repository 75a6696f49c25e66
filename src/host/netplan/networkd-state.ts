import ipaddr from 'ipaddr.js';
import { HostError } from '../../errors/errors.js';
import type { Log } from '../../log/logger.js';
import type { SettleQuery } from '../backend.js';
import type { CommandRunner } from '../command.js';
import { canonicalCidr } from '../kernel-check.js';

/**
 * Whether systemd-networkd is done with the links a change touched, from `networkctl list
 * --json=short` (networkctl(1); systemd ≥ 250 prints JSON, checked on 252: networkd's own
 * `Describe` answer over D-Bus, so it is networkd's view, not the state files').
 */

/** One link as networkd describes it. */
export interface NetworkdLink {
  name: string;
  /** Lower case with colons; undefined for links without one (lo). */
  mac?: string;
  /** networkctl(1)'s SETUP column (JSON key `AdministrativeState` in systemd 252): `pending`, `initialized`, `configuring`, `configured`, `unmanaged`, `failed`, `linger`. */
  setup: string;
  /** Each address networkd tracks: `address/prefix` (RFC 5952) and its state (`configured`, or flags such as `requesting`, `configuring`, `removing`). */
  addresses: Array<{ cidr: string; state: string }>;
}

interface JsonAddress { Family?: number; Address?: number[]; PrefixLength?: number; ConfigState?: string }
interface JsonLink { Name?: string; HardwareAddress?: number[]; AdministrativeState?: string; SetupState?: string; Addresses?: JsonAddress[] }

const hex = (bytes: readonly number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');

/** Parses `networkctl list --json=short` (`{"Interfaces":[…]}`). @throws HostError for anything else. */
export function parseNetworkctlList(text: string): NetworkdLink[] {
  let parsed: { Interfaces?: JsonLink[] };
  try {
    parsed = JSON.parse(text) as { Interfaces?: JsonLink[] };
  } catch (err) {
    throw new HostError(`cannot parse the JSON of \`networkctl list --json=short\`: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(parsed?.Interfaces)) throw new HostError('`networkctl list --json=short` printed no Interfaces array');
  return parsed.Interfaces.map((l) => ({
    name: l.Name ?? '',
    mac: l.HardwareAddress?.length === 6 ? hex(l.HardwareAddress) : undefined,
    setup: l.AdministrativeState ?? l.SetupState ?? 'unknown',
    addresses: (l.Addresses ?? []).flatMap((a) => {
      if (!Array.isArray(a.Address) || a.PrefixLength === undefined) return [];
      try {
        return [{ cidr: `${ipaddr.fromByteArray(a.Address).toString()}/${a.PrefixLength}`, state: a.ConfigState ?? 'unknown' }];
      } catch {
        return [];
      }
    }),
  }));
}

/** Setup states in which networkd has not yet started configuring the link (a `networkctl reconfigure` sets `initialized` before it answers). */
const NOT_STARTED = new Set(['pending', 'initialized']);

/**
 * Why networkd is still busy with a link of `q`, or null when it is done with every one.
 * Done means: past `pending`/`initialized`, no address in transition (every ConfigState
 * exactly `configured`), and each static address MultiNIC set listed as `configured`.
 * `configuring` itself is accepted: networkd stays there until IPv6 link-local DAD (1–2 s)
 * and, for DHCP, until a lease comes — neither is what MultiNIC sets or checks, and a DHCP
 * port without a server would never leave it. A link networkd does not list (gone) is left
 * to the kernel check.
 */
export function networkdBusy(links: readonly NetworkdLink[], q: SettleQuery): string | null {
  const macs = new Set([...q.expect.map((e) => e.mac), ...q.stale.map((s) => s.mac)]);
  for (const link of links) {
    if (!q.changed.includes(link.name) && !(link.mac && macs.has(link.mac))) continue;
    if (NOT_STARTED.has(link.setup)) return `networkd has not started configuring ${link.name} (${link.setup})`;
    const moving = link.addresses.filter((a) => a.state !== 'configured');
    if (moving.length > 0) return `networkd is still configuring ${link.name} (${link.setup}): ${moving.map((a) => `${a.cidr} ${a.state}`).join(', ')}`;
    const wanted = q.expect.find((e) => e.mac === link.mac)?.addresses.map(canonicalCidr) ?? [];
    const missing = wanted.filter((w) => !link.addresses.some((a) => a.cidr === w));
    if (missing.length > 0) return `networkd has not configured ${missing.join(', ')} on ${link.name} (${link.setup})`;
  }
  return null;
}

/**
 * The netplan backend's `unsettled`: runs `<networkctlCommand> list --json=short` (argv,
 * no shell) and judges it with networkdBusy. @throws HostError / CommandFailedError when
 * networkctl cannot answer (the caller then judges by the kernel alone).
 */
export function networkdSettle(networkctlCommand: readonly string[], run: CommandRunner, timeoutMs = 5000) {
  return async (q: SettleQuery, log: Pick<Log, 'debug' | 'warn'>): Promise<string | null> => {
    const { stdout } = await run([...networkctlCommand, 'list', '--json=short'], { timeoutMs, log });
    return networkdBusy(parseNetworkctlList(stdout), q);
  };
}
