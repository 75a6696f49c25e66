/**
 * The bench's synthetic inventory, as pure functions of (node index, interface index), so
 * the harness (rows), the agent processes (fake NICs) and the tests agree without talking:
 * one IPv4 subnet per interface slot, OpenStack-style MACs (fa:16:3e) unique per
 * (node, slot), static addresses that a "version" moves (the trickle's address change).
 */

export const SUBNET_PREFIX = 'bench-subnet-';

export function nodeName(n: number): string {
  return `bench-node-${String(n).padStart(4, '0')}`;
}

export function nodeId(n: number): string {
  return `bench-nodeid-${String(n).padStart(4, '0')}`;
}

export function portId(n: number, j: number): string {
  return `bench-port-${String(n).padStart(4, '0')}-${j}`;
}

export function subnetId(j: number): string {
  return `${SUBNET_PREFIX}${j}`;
}

export function cidr(j: number): string {
  return `10.${100 + j}.0.0/16`;
}

const hex = (v: number) => v.toString(16).padStart(2, '0');

export function mac(n: number, j: number): string {
  return `fa:16:3e:${hex(n >> 8)}:${hex(n & 255)}:${hex(j)}`;
}

/** Address of slot j on node n at `version` (0..9): inside cidr(j), unique per node. */
export function address(n: number, j: number, version = 0): string {
  return `10.${100 + j}.${Math.floor(n / 200) + 10 * (version % 10)}.${(n % 200) + 10}`;
}

/** The kernel name of slot j's NIC before MultiNIC renames it. */
export function kernelName(j: number): string {
  return `ens${j + 4}`;
}

/** Node indexes [from, to) split as evenly as possible over `parts` groups. */
export function splitRange(from: number, to: number, parts: number): Array<[number, number]> {
  const total = to - from;
  const out: Array<[number, number]> = [];
  let start = from;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(total / parts) + (p < total % parts ? 1 : 0);
    if (size > 0) out.push([start, start + size]);
    start += size;
  }
  return out;
}

/** Key of one configured (port, row version): what the harness and the agents both name a change by. */
export function changeKey(port: string, generation: number): string {
  return `${port}@${generation}`;
}
