/**
 * The node's kernel network state as the safety checks need it (overlap refusal, probes):
 * a narrow port so src/host's checks and the tests never depend on how it is read. The
 * real reader runs iproute2's `ip -j` in the host's network namespace (src/host/kernel-ip.ts).
 */

/** One address of one interface (`ip -j addr`'s `addr_info` entry, flattened). */
export interface KernelAddress {
  ifname: string;
  family: 4 | 6;
  /** Canonical text, e.g. `10.0.0.5`, `fd00:20::11`. */
  address: string;
  prefix: number;
  /** `global`, `link` or `host` (ip-address(8)). */
  scope: string;
}

/** One route of the main table (`ip -j -4/-6 route show`). */
export interface KernelRoute {
  family: 4 | 6;
  /** `default` or a prefix, e.g. `10.0.0.0/24` (a host route is written `10.0.0.9/32`). */
  dst: string;
  /** The interface the route leaves by; absent for blackhole/unreachable routes. */
  dev?: string;
  gateway?: string;
  /** `kernel` for a connected route, `static`, `dhcp`, `ra`, ... (ip-route(8)). */
  protocol?: string;
  scope?: string;
  metric?: number;
}

/** Reads the node's addresses and main-table routes; throws when the kernel cannot be read. */
export interface KernelReader {
  addresses(): Promise<KernelAddress[]>;
  routes(): Promise<KernelRoute[]>;
}
