import type { Log } from '../log/logger.js';
import type { KernelAddress, KernelReader, KernelRoute } from '../model/kernel.js';
import { runCommand, type CommandRunner } from './command.js';

interface IpAddrJson {
  ifname?: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number; scope?: string }>;
}

interface IpRouteJson {
  dst?: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
}

/** Parses `ip -j addr show` (iproute2 6.x) into one KernelAddress per address. */
export function parseAddresses(json: string): KernelAddress[] {
  const links = (json.trim() ? JSON.parse(json) : []) as IpAddrJson[];
  return links.flatMap((l) =>
    (l.addr_info ?? [])
      .filter((a) => a.local !== undefined && a.prefixlen !== undefined && (a.family === 'inet' || a.family === 'inet6'))
      .map((a) => ({ ifname: l.ifname ?? '', family: a.family === 'inet' ? 4 : 6, address: a.local!, prefix: a.prefixlen!, scope: a.scope ?? 'global' }) as KernelAddress),
  );
}

/** Parses `ip -j -4|-6 route show`; a host route (`dst` without `/len`) gets its full prefix. */
export function parseRoutes(json: string, family: 4 | 6): KernelRoute[] {
  const routes = (json.trim() ? JSON.parse(json) : []) as IpRouteJson[];
  return routes
    .filter((r) => r.dst !== undefined)
    .map((r) => ({
      family,
      dst: r.dst === 'default' || r.dst!.includes('/') ? r.dst! : `${r.dst}/${family === 4 ? 32 : 128}`,
      ...(r.dev !== undefined ? { dev: r.dev } : {}),
      ...(r.gateway !== undefined ? { gateway: r.gateway } : {}),
      ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
      ...(r.scope !== undefined ? { scope: r.scope } : {}),
      ...(r.metric !== undefined ? { metric: r.metric } : {}),
    }));
}

/** Options of {@link ipKernelReader}. */
export interface IpKernelReaderOptions {
  /**
   * argv prefix entering the host's network namespace (`agent.hostNetCommand`, default
   * `nsenter --target 1 --net --`); `[]` runs `ip` in this process's own namespace.
   */
  prefix: readonly string[];
  log: Pick<Log, 'debug' | 'warn'>;
  /** Per command; default 5 s. */
  timeoutMs?: number;
  run?: CommandRunner;
}

/**
 * The real KernelReader: `ip -j addr show`, `ip -j -4 route show` and `ip -j -6 route
 * show` (main table), each an argv after `prefix`, never through a shell.
 */
export function ipKernelReader({ prefix, log, timeoutMs = 5000, run = runCommand }: IpKernelReaderOptions): KernelReader {
  const ip = async (args: string[]) => (await run([...prefix, 'ip', '-j', ...args], { timeoutMs, log })).stdout;
  return {
    addresses: async () => parseAddresses(await ip(['addr', 'show'])),
    routes: async () => {
      const [v4, v6] = await Promise.all([ip(['-4', 'route', 'show', 'table', 'main']), ip(['-6', 'route', 'show', 'table', 'main'])]);
      return [...parseRoutes(v4, 4), ...parseRoutes(v6, 6)];
    },
  };
}
