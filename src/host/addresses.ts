import { HostError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';
import { runCommand, type CommandRunner } from './command.js';

/**
 * Addresses (`ip/prefix`) currently on an interface, link-local ones excluded: every
 * IPv6-enabled NIC that is up gets an fe80:: address from the kernel, and that is
 * nobody's configuration. A port, so the takeover guard is testable without a kernel.
 */
export type AddressReader = (ifname: string) => Promise<string[]>;

interface IpAddrInfo {
  local?: string;
  prefixlen?: number;
  scope?: string;
}

/** Parses `ip -j addr show` output into `ip/prefix` strings, skipping link-scoped ones. */
export function parseIpAddrJson(json: string): string[] {
  const links = JSON.parse(json) as Array<{ addr_info?: IpAddrInfo[] }>;
  return links
    .flatMap((l) => l.addr_info ?? [])
    .filter((a) => a.local && a.scope !== 'link' && a.scope !== 'host')
    .map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * The real AddressReader: `ip -j addr show dev <ifname>` run as an argv (no shell) through
 * `ipCommand` (IP_COMMAND: the host's network namespace; default plain `ip`). `ifname`
 * must come from the sysfs listing, never from an event.
 */
export function ipAddressReader({ log, timeoutMs = 5000, run = runCommand, ipCommand = ['ip'] }: { log: Pick<Log, 'debug' | 'warn'>; timeoutMs?: number; run?: CommandRunner; ipCommand?: readonly string[] }): AddressReader {
  return async (ifname) => {
    const { stdout } = await run([...ipCommand, '-j', 'addr', 'show', 'dev', ifname], { timeoutMs, log });
    return parseIpAddrJson(stdout || '[]');
  };
}

/** What the takeover guard looks at for one NIC. */
export interface TakeoverCheck {
  ifname: string;
  mac: string;
  /** From sysfs; the guard only refuses NICs that are not `down`. */
  operstate: string | undefined;
  addresses: string[];
  /** An owned file already configures this MAC (or names this interface): the NIC is ours. */
  ours: boolean;
  /** `agent.allowTakeover`. */
  allowTakeover: boolean;
}

/**
 * Refuses (HostError, permanent) to configure a NIC that is up and carries addresses
 * MultiNIC did not put there — it is probably someone's working interface, and
 * re-addressing it could cut a workload or the node off. `lowerlayerdown`, `dormant`
 * and `unknown` count as up: the NIC is administratively in use.
 */
export function assertMayConfigure(check: TakeoverCheck): void {
  if (check.ours || check.allowTakeover) return;
  if (check.operstate === 'down' || check.addresses.length === 0) return;
  throw new HostError(
    `refusing to take over ${check.ifname} (MAC ${check.mac}): it is ${check.operstate ?? 'in an unknown state'} with addresses ` +
      `${check.addresses.join(', ')} that MultiNIC did not configure (set agent.allowTakeover / AGENT_ALLOW_TAKEOVER=true to allow)`,
  );
}
