import { isInvalid, type Invalid } from '../events/network.js';
import type { InterfaceEventData } from '../events/types.js';
import { checkDataSchema, checkInterfaceData } from '../events/validate.js';

/**
 * One multi_interface row with its subnet's columns, as read by the publisher's poll and
 * the agent's store. The subnet columns are null when the row names a subnet that does
 * not exist (LEFT JOIN), which `interfaceDataFromRow` reports as an unknown subnet.
 */
export interface InterfaceRowWithSubnet {
  id: number;
  port_id: string;
  subnet_id: string | null;
  macaddress: string | null;
  attached_node_id: string | null;
  attached_node_name: string | null;
  cr_namespace: string | null;
  cr_name: string | null;
  netplan_success: number;
  status: string | null;
  address: string | null;
  mtu: number | null;
  created_at: Date | null;
  modified_at: Date | null;
  deleted_at: Date | null;
  /** From multi_subnet; null when the subnet row is missing. */
  subnet_name: string | null;
  cidr: string | null;
  network_id: string | null;
  /** multi_subnet.deleted_at: a soft-deleted subnet takes its ports with it (see `rowDeleted`); absent = not read. */
  subnet_deleted_at?: Date | null;
}

/**
 * Whether the row asks for its port to be gone: the row is soft-deleted, or its subnet
 * is (the OpenStack side deletes a subnet's ports with it; an address on a subnet that
 * no longer exists is never what it wants). Positive evidence, as docs/DESIGN.md requires
 * before anything is removed.
 */
export function rowDeleted(row: Pick<InterfaceRowWithSubnet, 'deleted_at' | 'subnet_deleted_at'>): boolean {
  return row.deleted_at !== null || (row.subnet_deleted_at ?? null) !== null;
}

/** The row's version as carried in events (modified_at ?? created_at, ms since the epoch). */
export function rowGeneration(row: Pick<InterfaceRowWithSubnet, 'modified_at' | 'created_at'>): number {
  return (row.modified_at ?? row.created_at ?? new Date(0)).getTime();
}

/** Names a schema complaint about a data key by the column a person would fix. */
const COLUMN_OF: Record<keyof InterfaceEventData, string> = {
  nodeName: 'attached_node_name',
  portId: 'port_id',
  macAddress: 'macaddress',
  subnetId: 'subnet_id',
  subnetName: 'multi_subnet.subnet_name',
  networkId: 'multi_subnet.network_id',
  cidr: 'multi_subnet.cidr',
  address: 'address',
  mtu: 'mtu',
  crNamespace: 'cr_namespace',
  crName: 'cr_name',
  generation: 'modified_at',
};

const MTU_MIN = 576;
const MTU_MAX = 9216;

/**
 * Turns a row into event data, or `{ error }` with a one-line reason a person can act on:
 * missing node, unknown subnet, bad MAC, garbage CIDR, address outside the CIDR, MTU out
 * of range, or any value the event schema's `data` rules reject (checked against those
 * rules directly, with no event built around it, so the schema stays the one definition
 * and the complaint names the column). Values are quoted with JSON escaping, so a newline
 * or shell metacharacter in a name cannot break the log line.
 */
export function interfaceDataFromRow(row: InterfaceRowWithSubnet): InterfaceEventData | Invalid {
  const key = JSON.stringify(MAPPED_COLUMNS.map((c) => row[c]));
  const known = checked.get(key);
  if (known) return { ...known };
  const result = mapRow(row);
  if (checked.size >= CHECKED_LIMIT) checked.delete(checked.keys().next().value!);
  checked.set(key, result);
  return { ...result };
}

/** The columns the mapping reads: two rows equal in these map to the same result. */
const MAPPED_COLUMNS = [
  'port_id', 'subnet_id', 'macaddress', 'attached_node_name', 'cr_namespace', 'cr_name', 'address', 'mtu',
  'subnet_name', 'cidr', 'network_id', 'created_at', 'modified_at',
] as const satisfies ReadonlyArray<keyof InterfaceRowWithSubnet>;

/**
 * Results of rows already checked, oldest first. The agent reads every row of its node
 * for each event (the Node patch is computed from the whole state), so without this a
 * node with N ports pays N schema checks per event for rows that have not changed.
 * Bounded: a fleet-wide publisher sees many rows, and an evicted row is just re-checked.
 */
const checked = new Map<string, InterfaceEventData | Invalid>();
const CHECKED_LIMIT = 4096;

function mapRow(row: InterfaceRowWithSubnet): InterfaceEventData | Invalid {
  if (!row.attached_node_name) return { error: 'attached_node_name is empty: the row names no node' };
  if (!row.subnet_id) return { error: 'subnet_id is empty: the row names no subnet' };
  if (row.subnet_name === null && row.cidr === null && row.network_id === null) {
    return { error: `unknown subnet ${JSON.stringify(row.subnet_id)}: no such multi_subnet row` };
  }
  if (!row.cidr) return { error: `subnet ${JSON.stringify(row.subnet_id)} has no cidr` };
  if (!row.network_id) return { error: `subnet ${JSON.stringify(row.subnet_id)} has no network_id` };
  if (!row.macaddress) return { error: 'macaddress is empty' };
  if (row.mtu !== null && (!Number.isInteger(row.mtu) || row.mtu < MTU_MIN || row.mtu > MTU_MAX)) {
    return { error: `mtu ${row.mtu} is outside ${MTU_MIN}-${MTU_MAX}` };
  }
  const draft: InterfaceEventData = {
    // One trailing dot is the absolute form of the same name (RFC 1034 §3.1); events carry the relative one.
    nodeName: row.attached_node_name.endsWith('.') ? row.attached_node_name.slice(0, -1) : row.attached_node_name,
    portId: row.port_id,
    macAddress: row.macaddress,
    subnetId: row.subnet_id,
    subnetName: row.subnet_name ?? '',
    networkId: row.network_id,
    cidr: row.cidr.trim(),
    address: row.address === null || row.address.trim() === '' ? null : row.address.trim(),
    mtu: row.mtu,
    crNamespace: row.cr_namespace === '' ? null : row.cr_namespace,
    crName: row.cr_name === '' ? null : row.cr_name,
    generation: rowGeneration(row),
  };
  const data = checkInterfaceData(draft);
  if (isInvalid(data)) return data;
  const problem = checkDataSchema(data);
  if (!problem) return data;
  return { error: `${problem.field ? COLUMN_OF[problem.field] : 'row'} ${problem.reason}` };
}
