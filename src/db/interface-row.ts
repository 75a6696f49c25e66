import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { InterfaceRowWithSubnet } from '../model/row-data.js';

// The row -> event data mapping is shared vocabulary and lives in the model; re-exported
// here so readers that reach for the row's SQL find it too.
export { interfaceDataFromRow, rowDeleted, rowGeneration, type InterfaceRowWithSubnet } from '../model/row-data.js';

/**
 * The SELECT list and FROM clause of every read of interface rows. Callers add a WHERE
 * (and ORDER BY / LIMIT) written against alias `i` (multi_interface) so the planner can
 * use the multi_interface indexes; the subnet is joined by primary key.
 */
export const INTERFACE_ROW_SELECT = `SELECT i.id, i.port_id, i.subnet_id, i.macaddress, i.attached_node_id, i.attached_node_name,
  i.cr_namespace, i.cr_name, i.netplan_success, i.status, i.address, i.mtu, i.created_at, i.modified_at, i.deleted_at,
  s.subnet_name, s.cidr, s.network_id, s.deleted_at AS subnet_deleted_at
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
    subnet_deleted_at: toDate(r.subnet_deleted_at),
  };
}
