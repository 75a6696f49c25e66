import ipaddr from 'ipaddr.js';
import { RefusedError } from '../errors/errors.js';
import type { ConfiguredInterface } from '../model/ports.js';
import { cidrOf, routeCidr, type KernelState } from './kernel.js';

/** What the overlap check looks at for one port about to be configured. */
export interface OverlapInput {
  portId: string;
  /** The port's subnet, canonical (`10.0.0.0/28`, `fd00:20::/64`). */
  cidr: string;
  /** The NIC's current kernel name and the multinicN it gets: their own addresses and routes are not foreign. */
  nicNames: readonly string[];
  /** Names MultiNIC configures (its owned files): not foreign either; their subnets come from `others`. */
  ownedNames: readonly string[];
  /** MultiNIC's other interfaces on this node (not this port, not this MAC). */
  others: readonly ConfiguredInterface[];
  /** The node's kernel now (`ip -j addr` and main-table routes, src/host/kernel.ts). */
  kernel: KernelState;
  /** Addresses that must never be captured besides the default gateways, e.g. the Kubernetes API server's. */
  protect: ReadonlyArray<{ address: string; what: string }>;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function range(cidr: string): Range | undefined {
  try {
    return ipaddr.parseCIDR(cidr);
  } catch {
    return undefined;
  }
}

/** True when two prefixes share any address: one contains the other's network address. */
export function prefixesOverlap(a: string, b: string): boolean {
  const ra = range(a);
  const rb = range(b);
  if (!ra || !rb || ra[0].kind() !== rb[0].kind()) return false;
  return ra[0].match(rb) || rb[0].match(ra);
}

function contains(cidr: string, address: string): boolean {
  const r = range(cidr);
  if (!r || !ipaddr.isValid(address)) return false;
  const a = ipaddr.parse(address);
  return a.kind() === r[0].kind() && a.match(r);
}

/** fe80::/64 is on every IPv6 link and is nobody's subnet; it never counts. */
const isLinkLocal = (cidr: string) => prefixesOverlap(cidr, 'fe80::/10');

/**
 * Everything on the node that a connected route for `cidr` would capture, one phrase each
 * (empty when nothing): addresses and routes (connected or via a gateway, IPv4 and IPv6)
 * of interfaces MultiNIC does not own, a default route's gateway, a protected address
 * (the API server), and another MultiNIC interface's subnet. The default route itself
 * overlaps everything and is judged by its gateway instead.
 */
export function findOverlaps(input: OverlapInput): string[] {
  const { cidr } = input;
  const mine = new Set([...input.nicNames, ...input.ownedNames]);
  const found: string[] = [];
  for (const link of input.kernel.links) {
    if (mine.has(link.ifname)) continue;
    for (const a of link.addresses) {
      if (a.scope !== 'link' && prefixesOverlap(cidr, cidrOf(a))) found.push(`address ${cidrOf(a)} of ${link.ifname}`);
    }
  }
  for (const r of input.kernel.routes) {
    if (r.dst === 'default') {
      if (r.gateway && contains(cidr, r.gateway)) found.push(`the default gateway ${r.gateway}${r.dev ? ` (via ${r.dev})` : ''}`);
      continue;
    }
    const dst = routeCidr(r);
    if ((r.dev && mine.has(r.dev)) || isLinkLocal(dst)) continue;
    if (prefixesOverlap(cidr, dst)) found.push(`route ${dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.protocol ? ` proto ${r.protocol}` : ''}`);
  }
  for (const p of input.protect) if (contains(cidr, p.address)) found.push(`${p.what} ${p.address}`);
  for (const o of input.others) {
    if (prefixesOverlap(cidr, o.cidr)) found.push(`subnet ${o.cidr} of MultiNIC's ${o.name} (port ${o.portId})`);
  }
  return [...new Set(found)];
}

/** A port whose subnet would capture traffic that belongs elsewhere on the node; permanent. */
export class OverlapError extends RefusedError {
  override name = 'OverlapError';
}

/**
 * Throws OverlapError naming the port's subnet and everything it overlaps (see
 * {@link findOverlaps}); does nothing when the subnet is clear. Opt-out:
 * `agent.allowOverlap` / AGENT_ALLOW_OVERLAP (default false), checked by the caller.
 */
export function assertNoOverlap(input: OverlapInput): void {
  const found = findOverlaps(input);
  if (found.length === 0) return;
  throw new OverlapError(
    `refusing port ${input.portId}: its subnet ${input.cidr} overlaps ${found.join('; ')} — configuring it would capture that traffic ` +
      '(set agent.allowOverlap / AGENT_ALLOW_OVERLAP=true to allow)',
  );
}
