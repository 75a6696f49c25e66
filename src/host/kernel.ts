import type { Log } from '../log/logger.js';
import { HostError } from '../errors/errors.js';
import { runCommand, type CommandRunner } from './command.js';

/**
 * The kernel's view of the host's network namespace, read with iproute2's JSON output
 * (`ip -j link|addr|route show`, ip(8), iproute2 ≥ 4.14 prints JSON) through an argv
 * prefix that enters the host's namespaces (IP_COMMAND, default `nsenter --target 1
 * --net -- ip`). Backend-neutral: the netplan and NetworkManager backends, the kernel
 * verification and the safety checks all read the host through this one module.
 */

/** One address of a link (from `addr_info` of `ip -j addr show`). */
export interface KernelAddress {
  family: 4 | 6;
  /** Canonical text (RFC 5952 for IPv6, as the kernel prints it), e.g. `10.0.0.5`, `fd00:30::11`. */
  local: string;
  prefixlen: number;
  /** `global`, `link`, `host`, … */
  scope: string;
  /** IPv6 duplicate address detection still running: the address is configured, not yet usable. */
  tentative: boolean;
  /** IPv6 duplicate address detection found another holder: the address will never work. */
  dadfailed: boolean;
}

/** One link with its addresses. */
export interface KernelLink {
  ifindex: number;
  ifname: string;
  /** MAC, lower case with colons; absent for links without one. */
  mac?: string;
  /** Bytes. */
  mtu: number;
  /** Kernel flags, e.g. `UP`, `LOWER_UP`, `NO-CARRIER`. */
  flags: string[];
  /** `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`, … */
  operstate: string;
  addresses: KernelAddress[];
}

/** One route of the main table. */
export interface KernelRoute {
  family: 4 | 6;
  /** `default` or a prefix; a host route is printed without `/len`. */
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
  /** Route type when not unicast (`unreachable`, `blackhole`, …). */
  type?: string;
}

/** Links with addresses, and main-table routes of both families, read one after the other. */
export interface KernelState {
  links: KernelLink[];
  routes: KernelRoute[];
}

/** `address/prefixlen` of an address, e.g. `10.0.0.5/24`. */
export const cidrOf = (a: Pick<KernelAddress, 'local' | 'prefixlen'>): string => `${a.local}/${a.prefixlen}`;

/** A route's destination as a prefix (`10.9.9.9` -> `10.9.9.9/32`); `default` stays `default`. */
export const routeCidr = (r: Pick<KernelRoute, 'dst' | 'family'>): string =>
  r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/${r.family === 4 ? 32 : 128}`;

/**
 * The argv prefix that enters the host's network namespace: IP_COMMAND without its last
 * word, the `ip` binary (the configuration checks it ends so). The probes run `ping` and
 * their TCP connect behind it, so they see the network `ip` reads. `[]`: this process's own.
 */
export const netnsPrefixOf = (ipCommand: readonly string[]): string[] => ipCommand.slice(0, -1);

/** Reads and changes the host's network state; `ifname` and addresses come from sysfs or from MultiNIC's own files, never from an event as such. */
export interface Kernel {
  read(): Promise<KernelState>;
  /** `ip address del CIDR dev IFNAME`. */
  deleteAddress(ifname: string, cidr: string): Promise<void>;
  /** `ip link set dev FROM down`, then `ip link set dev FROM name TO` (what `netplan apply` does, apply.py). */
  rename(from: string, to: string): Promise<void>;
  /** `ip link set dev IFNAME up`: after a rename where no daemon brings the link up by itself (NetworkManager leaves an unchanged profile alone). */
  up(ifname: string): Promise<void>;
}

interface IpJsonAddr { family?: string; local?: string; prefixlen?: number; scope?: string; tentative?: boolean; dadfailed?: boolean }
interface IpJsonLink { ifindex?: number; ifname?: string; address?: string; mtu?: number; flags?: string[]; operstate?: string; addr_info?: IpJsonAddr[] }
interface IpJsonRoute { dst?: string; gateway?: string; dev?: string; protocol?: string; metric?: number; type?: string }

function parseArray<T>(text: string, what: string): T[] {
  if (text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HostError(`cannot parse the JSON of \`ip -j ${what}\`: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(parsed)) throw new HostError(`\`ip -j ${what}\` printed no JSON array`);
  return parsed as T[];
}

/** Parses `ip -j addr show` into links with addresses (address entries with a family and a local address only). */
export function parseIpAddr(text: string): KernelLink[] {
  return parseArray<IpJsonLink>(text, 'addr show').map((l) => ({
    ifindex: l.ifindex ?? 0,
    ifname: l.ifname ?? '',
    mac: l.address?.toLowerCase(),
    mtu: l.mtu ?? 0,
    flags: l.flags ?? [],
    operstate: l.operstate ?? 'UNKNOWN',
    addresses: (l.addr_info ?? [])
      .filter((a) => (a.family === 'inet' || a.family === 'inet6') && typeof a.local === 'string')
      .map((a) => ({
        family: a.family === 'inet' ? 4 : 6,
        local: a.local!,
        prefixlen: a.prefixlen ?? (a.family === 'inet' ? 32 : 128),
        scope: a.scope ?? 'global',
        tentative: a.tentative === true,
        dadfailed: a.dadfailed === true,
      })),
  }));
}

/** Parses `ip -j -4|-6 route show` of one family. */
export function parseIpRoute(text: string, family: 4 | 6): KernelRoute[] {
  return parseArray<IpJsonRoute>(text, 'route show').map((r) => ({
    family,
    dst: r.dst ?? 'default',
    ...(r.gateway !== undefined && { gateway: r.gateway }),
    ...(r.dev !== undefined && { dev: r.dev }),
    ...(r.protocol !== undefined && { protocol: r.protocol }),
    ...(r.metric !== undefined && { metric: r.metric }),
    ...(r.type !== undefined && r.type !== 'unicast' && { type: r.type }),
  }));
}

/** What createIpKernel needs. */
export interface IpKernelOptions {
  /** argv prefix ending in the `ip` binary (IP_COMMAND), e.g. `['nsenter', '--target', '1', '--net', '--', 'ip']`. */
  ipCommand: readonly string[];
  log: Pick<Log, 'debug' | 'warn'>;
  /** Bound on one `ip` run; default 5 s. */
  timeoutMs?: number;
  run?: CommandRunner;
}

/** The real Kernel: `ip` run as an argv (no shell) through `ipCommand`. @throws HostError for an empty `ipCommand`. */
export function createIpKernel({ ipCommand, log, timeoutMs = 5000, run = runCommand }: IpKernelOptions): Kernel {
  if (ipCommand.length === 0) throw new HostError('IP_COMMAND is empty: there is no kernel to read');
  const ip = async (args: readonly string[]) => (await run([...ipCommand, ...args], { timeoutMs, log })).stdout;
  return {
    async read() {
      const links = parseIpAddr(await ip(['-j', 'addr', 'show']));
      const v4 = parseIpRoute(await ip(['-j', '-4', 'route', 'show']), 4);
      const v6 = parseIpRoute(await ip(['-j', '-6', 'route', 'show']), 6);
      return { links, routes: [...v4, ...v6] };
    },
    async deleteAddress(ifname, cidr) {
      await ip(['address', 'del', cidr, 'dev', ifname]);
    },
    async rename(from, to) {
      await ip(['link', 'set', 'dev', from, 'down']);
      await ip(['link', 'set', 'dev', from, 'name', to]);
    },
    async up(ifname) {
      await ip(['link', 'set', 'dev', ifname, 'up']);
    },
  };
}
