import ipaddr from 'ipaddr.js';
import { cidrOf, routeCidr, type KernelLink, type KernelRoute, type KernelState } from './kernel.js';

/**
 * What the kernel must show after an apply, and the checks of it: pure functions of a
 * KernelState (ip -j addr / route), so they are tested without a kernel.
 */

/** The kernel state one interface must reach. */
export interface InterfaceExpectation {
  /** The NIC, by MAC (lower case). */
  mac: string;
  /** The name it must carry, e.g. `multinic0`. */
  name: string;
  /** `address/prefix` MultiNIC set; empty for DHCP (then any address is accepted). */
  addresses: string[];
  /** True when the addresses come from DHCP: no address is required or refused. */
  dhcp: boolean;
  /** Bytes; null when MultiNIC sets none. */
  mtu: number | null;
}

/** Addresses MultiNIC set earlier on a NIC and no longer wants (address change, detach). */
export interface StaleAddresses {
  mac: string;
  addresses: string[];
}

/** Canonical `address/prefix` (IPv6 in RFC 5952 form, as the kernel prints it). */
export function canonicalCidr(cidr: string): string {
  const [addr, len] = cidr.split('/');
  return `${ipaddr.parse(addr!).toString()}/${len}`;
}

/** The link with `mac` now, if any (the first one: two NICs with one MAC are refused before any change). */
export const linkByMac = (state: KernelState, mac: string): KernelLink | undefined => state.links.find((l) => l.mac === mac);

/**
 * Why `link` is not what `exp` asks, or null when it is: the name, link up (the UP flag:
 * a NIC without carrier is still configured), the MTU, each address present (an IPv6
 * address still tentative counts: DAD takes 1–2 s, RFC 4862 §5.4), none failed DAD, and no
 * other global address. `hard` marks what waiting cannot fix (DAD failed).
 */
export function interfaceMismatch(state: KernelState, exp: InterfaceExpectation): { reason: string; hard: boolean } | null {
  const link = linkByMac(state, exp.mac);
  if (!link) return { reason: `no link with MAC ${exp.mac}`, hard: false };
  const soft = (reason: string) => ({ reason: `${exp.name} (MAC ${exp.mac}): ${reason}`, hard: false });
  if (link.ifname !== exp.name) return soft(`is called ${link.ifname}`);
  const failed = link.addresses.filter((a) => a.dadfailed).map(cidrOf);
  if (failed.length > 0) return { reason: `${exp.name}: duplicate address detection failed for ${failed.join(', ')} (another host holds it)`, hard: true };
  if (!link.flags.includes('UP')) return soft('link is down');
  if (exp.mtu !== null && link.mtu !== exp.mtu) return soft(`MTU is ${link.mtu}, expected ${exp.mtu}`);
  if (exp.dhcp) return null;
  const present = link.addresses.filter((a) => a.scope === 'global').map(cidrOf);
  const wanted = exp.addresses.map(canonicalCidr);
  const missing = wanted.filter((w) => !present.includes(w));
  if (missing.length > 0) return soft(`missing ${missing.join(', ')} (has ${present.join(', ') || 'none'})`);
  const extra = present.filter((p) => !wanted.includes(p));
  if (extra.length > 0) return soft(`carries ${extra.join(', ')} that MultiNIC did not set`);
  return null;
}

/** The stale addresses still on their NIC now: `{ ifname, cidr }` for each, to delete. */
export function staleStillPresent(state: KernelState, stale: readonly StaleAddresses[]): Array<{ ifname: string; cidr: string }> {
  return stale.flatMap(({ mac, addresses }) => {
    const link = linkByMac(state, mac);
    if (!link) return [];
    const there = new Set(link.addresses.map(cidrOf));
    return addresses.map(canonicalCidr).filter((c) => there.has(c)).map((cidr) => ({ ifname: link.ifname, cidr }));
  });
}

const routeKey = (r: KernelRoute) => `${r.type ?? ''} ${r.dst} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'} metric ${r.metric ?? '-'}`;
const describeRoute = (r: KernelRoute) => `${r.type ? `${r.type} ` : ''}${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`;

/**
 * The routes of `before` on interfaces outside `exempt` that `after` no longer has, compared
 * by type, destination, gateway, device and metric: "the routes of other interfaces as they
 * were" of the kernel verification and of the `routes` probe alike.
 */
export function routesGone(before: readonly KernelRoute[], after: readonly KernelRoute[], exempt: readonly string[]): KernelRoute[] {
  const now = new Set(after.map(routeKey));
  return before.filter((r) => !(r.dev !== undefined && exempt.includes(r.dev)) && !now.has(routeKey(r)));
}

/** A route's destination as a parsed prefix; undefined for `default`, link-local and anything unparsable. */
function prefixOf(r: KernelRoute): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  if (r.dst === 'default') return undefined;
  try {
    const [addr, len] = ipaddr.parseCIDR(routeCidr(r));
    // Every IPv6 link has fe80::/64; IPv4 link-local is per link as well: no link takes it from another.
    if (addr.range() === 'linkLocal') return undefined;
    return [addr, len];
  } catch {
    return undefined;
  }
}

/**
 * Why the node's routing changed beyond the interfaces being changed, or null. `before`
 * and `after` are the whole main tables; `changed` the names (old and new) of the
 * interfaces MultiNIC is changing. Hard (waiting cannot fix it): a default route on a
 * changed interface (MultiNIC never sets one), or a route on a changed interface to a
 * prefix inside (or equal to) a route another interface had before — longest-prefix
 * match then sends that traffic to the new NIC (the 10.0.0.0/28 port beside the primary's
 * 10.0.0.0/24 takes 10.0.0.10). Soft (an apply may still be re-adding it): a route of
 * another interface that was there before and is gone.
 */
export function routeMismatch(before: readonly KernelRoute[], after: readonly KernelRoute[], changed: readonly string[]): { reason: string; hard: boolean } | null {
  const isChanged = (r: KernelRoute) => r.dev !== undefined && changed.includes(r.dev);
  const ours = after.filter(isChanged);
  const moved = ours.find((r) => r.dst === 'default');
  if (moved) return { reason: `a default route is now on ${moved.dev} (${describeRoute(moved)})`, hard: true };
  const others = before.filter((r) => !isChanged(r));
  for (const r of ours) {
    const p = prefixOf(r);
    if (!p) continue;
    for (const o of others) {
      const q = prefixOf(o);
      if (!q || p[0].kind() !== q[0].kind() || p[1] < q[1] || !p[0].match(q)) continue;
      return { reason: `route ${describeRoute(r)} takes traffic for ${r.dst} that went by ${describeRoute(o)}`, hard: true };
    }
  }
  const gone = routesGone(before, after, changed);
  if (gone.length > 0) return { reason: `route${gone.length > 1 ? 's' : ''} of other interfaces gone: ${gone.map(describeRoute).join('; ')}`, hard: false };
  return null;
}
