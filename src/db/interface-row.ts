import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { buildEvent } from '../events/build.js';
import { isInvalid, type Invalid } from '../events/network.js';
import { EventType, type InterfaceEventData } from '../events/types.js';
import { checkInterfaceData, validateEvent } from '../events/validate.js';
import { generationOf } from './models.js';

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
}

/**
 * The SELECT list and FROM clause of every read of interface rows. Callers add a WHERE
 * (and ORDER BY / LIMIT) written against alias `i` (multi_interface) so the planner can
 * use the multi_interface indexes; the subnet is joined by primary key.
 */
export const INTERFACE_ROW_SELECT = `SELECT i.id, i.port_id, i.subnet_id, i.macaddress, i.attached_node_id, i.attached_node_name,
  i.cr_namespace, i.cr_name, i.netplan_success, i.status, i.address, i.mtu, i.created_at, i.modified_at, i.deleted_at,
  s.subnet_name, s.cidr, s.network_id
FROM multi_interface i LEFT JOIN multi_subnet s ON s.subnet_id = i.subnet_id`;

export interface ReadRowsOptions {
  /** SQL condition on alias `i` with `?` placeholders, e.g. `i.attached_node_name = ?`. */
  where: string;
  replacements?: unknown[];
  /** Appended verbatim, e.g. `ORDER BY i.id LIMIT 100`; never built from input. */
  tail?: string;
  /**
   * A multi_interface index the query must use (FORCE INDEX). The publisher's poll
   * names ix_multi_interface_pending so its cost never depends on the optimizer's
   * statistics of a table that is small today and large tomorrow.
   */
  forceIndex?: string;
  transaction?: Transaction;
}

/**
 * Reads interface rows with their subnet through one query and normalises the driver's
 * values (dates to Date, flags and MTU to numbers), so every reader sees one shape.
 * Throws on any query failure; never answers "no rows" for an error.
 */
export async function readInterfaceRows(db: Sequelize, { where, replacements = [], tail = '', forceIndex, transaction }: ReadRowsOptions): Promise<InterfaceRowWithSubnet[]> {
  return (await db.query<Record<string, unknown>>(interfaceRowsSql({ where, tail, forceIndex }), {
    replacements,
    type: QueryTypes.SELECT,
    transaction,
  })).map(normalizeRow);
}

/** The SQL text `readInterfaceRows` runs; exported so a test can EXPLAIN it. */
export function interfaceRowsSql({ where, tail = '', forceIndex }: Pick<ReadRowsOptions, 'where' | 'tail' | 'forceIndex'>): string {
  let select = INTERFACE_ROW_SELECT;
  if (forceIndex) {
    if (!/^\w+$/.test(forceIndex)) throw new TypeError(`not an index name: ${JSON.stringify(forceIndex)}`);
    select = select.replace('FROM multi_interface i ', `FROM multi_interface i FORCE INDEX (${forceIndex}) `);
  }
  return `${select} WHERE ${where} ${tail}`;
}

/** The rows of one node (live and deleted), in id order. */
export function readNodeInterfaceRows(db: Sequelize, nodeName: string, transaction?: Transaction): Promise<InterfaceRowWithSubnet[]> {
  return readInterfaceRows(db, { where: 'i.attached_node_name = ?', replacements: [nodeName], tail: 'ORDER BY i.id', transaction });
}

/** The row of one port, or undefined. */
export async function readPortInterfaceRow(db: Sequelize, portId: string, transaction?: Transaction): Promise<InterfaceRowWithSubnet | undefined> {
  const rows = await readInterfaceRows(db, { where: 'i.port_id = ?', replacements: [portId], transaction });
  return rows[0];
}

/**
 * A time column as a Date. DATETIME columns arrive as Date (the session is UTC); an
 * OpenStack schema that keeps integer epochs is read as seconds below 1e11 (year 5138)
 * and milliseconds above, so either unit yields the same generation.
 */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'string' && /^\d+$/.test(value))) {
    const n = Number(value);
    return new Date(n < 1e11 ? n * 1000 : n);
  }
  if (typeof value === 'string') {
    // A DATETIME read as text is UTC without a zone marker.
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Normalises one raw driver row into the shared shape. */
export function normalizeRow(r: Record<string, unknown>): InterfaceRowWithSubnet {
  return {
    id: Number(r.id),
    port_id: String(r.port_id),
    subnet_id: strOrNull(r.subnet_id),
    macaddress: strOrNull(r.macaddress),
    attached_node_id: strOrNull(r.attached_node_id),
    attached_node_name: strOrNull(r.attached_node_name),
    cr_namespace: strOrNull(r.cr_namespace),
    cr_name: strOrNull(r.cr_name),
    netplan_success: Number(r.netplan_success ?? 0),
    status: strOrNull(r.status),
    address: strOrNull(r.address),
    mtu: numOrNull(r.mtu),
    created_at: toDate(r.created_at),
    modified_at: toDate(r.modified_at),
    deleted_at: toDate(r.deleted_at),
    subnet_name: strOrNull(r.subnet_name),
    cidr: strOrNull(r.cidr),
    network_id: strOrNull(r.network_id),
  };
}

/** The row's version as carried in events (modified_at ?? created_at, ms since the epoch). */
export function rowGeneration(row: Pick<InterfaceRowWithSubnet, 'modified_at' | 'created_at'>): number {
  return generationOf(row);
}

/** Names a schema complaint about a data key by the column a person would fix. */
const COLUMN_OF: Record<string, string> = {
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
/** A fixed clock for the schema check: the check must not depend on the time of day. */
const EPOCH = () => new Date(0);

/**
 * Turns a row into event data, or `{ error }` with a one-line reason a person can act on:
 * missing node, unknown subnet, bad MAC, garbage CIDR, address outside the CIDR, MTU out
 * of range, or any value the event schema would reject (checked by validating a built
 * event, so the schema stays the one definition). Values are quoted with JSON escaping,
 * so a newline or shell metacharacter in a name cannot break the log line.
 */
export function interfaceDataFromRow(row: InterfaceRowWithSubnet): InterfaceEventData | Invalid {
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
    nodeName: row.attached_node_name,
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
  try {
    return validateEvent(buildEvent(EventType.Attach, data, { source: '/multinic/publisher', now: EPOCH })).data;
  } catch (err) {
    const reason = (err as Error).message
      .replace(/^schema: /, '')
      .replace(/^\/subject\b/, 'port_id')
      .replace(/\/data\/(\w+)/g, (_m, key: string) => COLUMN_OF[key] ?? `data.${key}`);
    return { error: `not a valid event: ${reason}` };
  }
}
