import { readFile } from 'node:fs/promises';
import { QueryTypes, type Sequelize } from 'sequelize';
import { Labels, type NodePatch } from '../kube/patch.js';
import { validateWithNetplan } from '../host/netplan/generate.js';
import { readOwnedFiles } from '../host/netplan/owned-files.js';
import { readOwnedKeyfiles } from '../host/networkmanager/backend.js';
import type { KernelNic } from './lab.js';

/** One row of the demo's final table. */
export interface DemoInterface {
  node: string;
  portId: string;
  name: string | null;
  mac: string;
  /** Static address with its prefix, or null for DHCP. */
  address: string | null;
  mtu: number | null;
  netplanFile: string | null;
  netplanSuccess: number;
  labels: Record<string, string>;
  /** The NIC with this MAC as its lab node's kernel shows it; null in the sandbox (or no such NIC). */
  kernel: KernelNic | null;
}

/** One node's files and the patch the agent would have sent. */
export interface DemoNode {
  node: string;
  netplanDir: string;
  files: Array<{ file: string; path: string; content: string }>;
  /** The node's host backend; its `files` are netplan YAML or NetworkManager keyfiles. */
  backend: 'netplan' | 'networkmanager';
  /** `netplan generate` accepted this node's files; null when netplan is not installed or the node runs NetworkManager (the agent checked its keyfiles with `nmcli --offline`). */
  valid: boolean | null;
  patch: NodePatch | null;
}

/** Reads the outcome from the database (the truth), the sandbox dirs and the recorded patches. */
export async function collectOutcome(
  db: Sequelize,
  agents: ReadonlyArray<{ node: string; netplanDir: string; backend: 'netplan' | 'networkmanager'; filesDir: string }>,
  patches: ReadonlyMap<string, NodePatch>,
  generateCommand: string,
  /** Lab mode: each node's NICs by MAC, read from the kernel. */
  kernelOf?: (node: string) => Promise<ReadonlyMap<string, KernelNic>>,
): Promise<{ interfaces: DemoInterface[]; nodes: DemoNode[] }> {
  const rows = await db.query<{ node: string; port_id: string; macaddress: string; address: string | null; cidr: string; mtu: number | null; netplan_success: number }>(
    `SELECT i.attached_node_name AS node, i.port_id, i.macaddress, i.address, s.cidr, i.mtu, i.netplan_success
       FROM multi_interface i JOIN multi_subnet s ON s.subnet_id = i.subnet_id
      WHERE i.deleted_at IS NULL ORDER BY i.attached_node_name, i.port_id`,
    { type: QueryTypes.SELECT },
  );
  const nodes: DemoNode[] = [];
  const fileOf = new Map<string, { name: string; file: string }>();
  for (const a of agents) {
    const owned = a.backend === 'networkmanager' ? await readOwnedKeyfiles(a.filesDir) : await readOwnedFiles(a.filesDir);
    for (const o of owned) fileOf.set(o.iface.portId, { name: o.iface.name, file: o.path });
    const files = await Promise.all(owned.map(async (o) => ({ file: o.file, path: o.path, content: await readFile(o.path, 'utf8') })));
    let valid: boolean | null = null;
    // A keyfile was checked by the agent itself (nmcli --offline); netplan generate reads only netplan's.
    if (generateCommand && a.backend === 'netplan') {
      valid = await validateWithNetplan({ generateCommand, files: new Map(files.map((f) => [f.file, f.content])) }).then(() => true, () => false);
    }
    nodes.push({ node: a.node, netplanDir: a.netplanDir, backend: a.backend, files, valid, patch: patches.get(a.node) ?? null });
  }
  const kernel = new Map<string, ReadonlyMap<string, KernelNic>>();
  if (kernelOf) for (const node of new Set(rows.map((r) => r.node))) kernel.set(node, await kernelOf(node));
  const interfaces = rows.map((r) => ({
    node: r.node,
    portId: r.port_id,
    name: fileOf.get(r.port_id)?.name ?? null,
    mac: r.macaddress,
    address: r.address ? `${r.address}/${r.cidr.split('/')[1]}` : null,
    mtu: r.mtu === null ? null : Number(r.mtu),
    netplanFile: fileOf.get(r.port_id)?.file ?? null,
    netplanSuccess: Number(r.netplan_success),
    labels: patches.get(r.node)?.metadata.labels ?? {},
    kernel: kernel.get(r.node)?.get(r.macaddress.toLowerCase()) ?? null,
  }));
  return { interfaces, nodes };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The final table; netplan file paths are shown relative to `base` when under it. */
export function formatInterfaces(interfaces: readonly DemoInterface[], base: string): string {
  const rel = (p: string | null) => (p === null ? '-' : p.startsWith(`${base}/`) ? p.slice(base.length + 1) : p);
  const labels = (l: Record<string, string>) => `count=${l[Labels.InterfaceCount] ?? '?'} ready=${l[Labels.Ready] ?? '?'}`;
  return table(
    ['NODE', 'IFACE', 'MAC', 'ADDRESS', 'MTU', 'NETPLAN FILE', 'NETPLAN_SUCCESS', 'NODE LABELS (multinic.io/)'],
    interfaces.map((i) => [i.node, i.name ?? '-', i.mac, i.address ?? 'dhcp', i.mtu === null ? '-' : String(i.mtu), rel(i.netplanFile), String(i.netplanSuccess), labels(i.labels)]),
  );
}

/** Lab mode: each NIC as the kernel of its node shows it (`ip -j addr` in the node's namespace). */
export function formatKernel(interfaces: readonly DemoInterface[]): string {
  return table(
    ['NODE', 'MAC', 'KERNEL NAME', 'KERNEL ADDRESSES', 'MTU', 'STATE'],
    interfaces.map((i) => [i.node, i.mac, i.kernel?.name ?? '(no such NIC)', i.kernel?.addresses.join(' ') || '-', i.kernel ? String(i.kernel.mtu) : '-', i.kernel?.state ?? '-']),
  );
}
