/**
 * The kernel's view of a network namespace, read with iproute2's JSON output (`ip -j`,
 * iproute2 6.1). The shapes below are the fields of `ip -j link/addr/route` the lab's users
 * need; iproute2 prints more, and they are kept (the types are open).
 */
import { run } from './run.js';

/** One link, from `ip -j link show` (fields as iproute2 names them). */
export interface IpLink {
  ifindex: number;
  ifname: string;
  /** Kernel flags, e.g. `UP`, `LOWER_UP`, `NO-CARRIER`. */
  flags: string[];
  /** Bytes. */
  mtu: number;
  /** `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`, … */
  operstate: string;
  /** MAC, lower case with colons. */
  address?: string;
  [key: string]: unknown;
}

/** One address of a link, from the `addr_info` array of `ip -j addr show`. */
export interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope: string;
  tentative?: boolean;
  dadfailed?: boolean;
  noprefixroute?: boolean;
  label?: string;
  [key: string]: unknown;
}

/** A link with its addresses, from `ip -j addr show`. */
export interface IpAddrLink extends IpLink {
  addr_info: IpAddrInfo[];
}

/** One route of the main table, from `ip -j [-6] route show`. */
export interface IpRoute {
  /** `default` or a prefix such as `10.0.0.0/24` (a host route has no `/len`). */
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  flags: string[];
  [key: string]: unknown;
}

/** Runs `ip -n NETNS -j ARGS…` and parses its JSON array. */
export async function ipJson<T>(netns: string, args: readonly string[]): Promise<T[]> {
  const { stdout } = await run(['ip', '-n', netns, '-j', ...args]);
  return stdout.trim() ? (JSON.parse(stdout) as T[]) : [];
}

/** `ip -j link show` of a namespace. */
export const links = (netns: string) => ipJson<IpLink>(netns, ['link', 'show']);

/** `ip -j addr show` of a namespace. */
export const addrs = (netns: string) => ipJson<IpAddrLink>(netns, ['addr', 'show']);

/** IPv4 and IPv6 routes of the main table (`ip -j -4 route` then `ip -j -6 route`). */
export async function routes(netns: string): Promise<IpRoute[]> {
  const [v4, v6] = await Promise.all([ipJson<IpRoute>(netns, ['-4', 'route', 'show']), ipJson<IpRoute>(netns, ['-6', 'route', 'show'])]);
  return [...v4, ...v6];
}

/** `address/prefixlen` strings of one link's addresses (e.g. `10.0.0.5/24`), in kernel order. */
export function cidrsOf(link: IpAddrLink | undefined, { family, scope = 'global' }: { family?: 'inet' | 'inet6'; scope?: string } = {}): string[] {
  return (link?.addr_info ?? [])
    .filter((a) => (!family || a.family === family) && a.scope === scope)
    .map((a) => `${a.local}/${a.prefixlen}`);
}
