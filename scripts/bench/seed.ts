import type { Sequelize } from 'sequelize';
import { address, cidr, mac, nodeId, nodeName, portId, subnetId } from './fixture.js';

/**
 * Writes the fixture with a few multi-row statements (the harness is not what is being
 * measured, so it should cost the server as little as possible). Each write's commit time
 * is taken when its autocommit statement returns; the row version (modified_at) is set
 * explicitly so the harness knows every change's generation without reading it back.
 */

const CHUNK = 1000;

/**
 * A DATETIME(3) literal in UTC. Sequelize formats a Date replacement to whole seconds,
 * which would make the harness's generation (milliseconds) differ from the row's.
 */
export function sqlTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export async function resetTables(db: Sequelize): Promise<void> {
  for (const t of ['multinic_port_state', 'multi_interface', 'node_table', 'multi_subnet']) await db.query(`DELETE FROM ${t}`);
}

export async function insertSubnets(db: Sequelize, interfaces: number, at: Date): Promise<void> {
  const rows = Array.from({ length: interfaces }, (_, j) => [subnetId(j), `bench-net-${j}`, cidr(j), `bench-network-${j}`, 'ACTIVE', sqlTime(at), sqlTime(at), null]);
  await db.query(`INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, status, created_at, modified_at, deleted_at) VALUES ${rows.map(() => '(?)').join(',')}`, { replacements: rows });
}

export async function insertNodes(db: Sequelize, from: number, to: number, at: Date): Promise<void> {
  for (let s = from; s < to; s += CHUNK) {
    const rows = [];
    for (let n = s; n < Math.min(to, s + CHUNK); n++) rows.push([nodeId(n), nodeName(n), 'ACTIVE', sqlTime(at), sqlTime(at), null]);
    await db.query(`INSERT INTO node_table (attached_node_id, attached_node_name, status, created_at, modified_at, deleted_at) VALUES ${rows.map(() => '(?)').join(',')}`, { replacements: rows });
  }
}

/** One interface row to write: node, slot, and the generation it will carry. */
export interface RowSpec {
  n: number;
  j: number;
  version: number;
}

/**
 * INSERTs these interface rows (netplan_success as given) with modified_at = `at`, in
 * chunks; returns the commit time of each chunk's statement per row, in row order.
 */
export async function insertInterfaces(db: Sequelize, specs: readonly RowSpec[], at: Date, netplanSuccess: 0 | 1, now: () => number = Date.now): Promise<number[]> {
  const commits: number[] = [];
  for (let s = 0; s < specs.length; s += CHUNK) {
    const chunk = specs.slice(s, s + CHUNK);
    const rows = chunk.map(({ n, j, version }) => [
      portId(n, j), subnetId(j), mac(n, j), nodeId(n), nodeName(n), 'multinic-system', `multinic-${nodeName(n)}`, netplanSuccess, 'ACTIVE', address(n, j, version), null, sqlTime(at), sqlTime(at), null,
    ]);
    await db.query(
      `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_id, attached_node_name, cr_namespace, cr_name, netplan_success, status, address, mtu, created_at, modified_at, deleted_at) VALUES ${rows.map(() => '(?)').join(',')}`,
      { replacements: rows },
    );
    const t = now();
    for (let i = 0; i < chunk.length; i++) commits.push(t);
  }
  return commits;
}

/** Moves one row to a new address as the OpenStack side would (new version, netplan_success = 0); returns the commit time. */
export async function updateAddress(db: Sequelize, spec: RowSpec, at: Date, now: () => number = Date.now): Promise<number> {
  await db.query('UPDATE multi_interface SET address = ?, netplan_success = 0, modified_at = ? WHERE port_id = ?', {
    replacements: [address(spec.n, spec.j, spec.version), sqlTime(at), portId(spec.n, spec.j)],
  });
  return now();
}

/** Marks every row pending again with a new version (the publisher scan's "with work" state). */
export async function markAllPending(db: Sequelize, at: Date): Promise<void> {
  await db.query('UPDATE multi_interface SET netplan_success = 0, modified_at = ?', { replacements: [sqlTime(at)] });
}

export async function countPending(db: Sequelize): Promise<number> {
  const [rows] = await db.query('SELECT COUNT(*) AS n FROM multi_interface WHERE netplan_success = 0 AND deleted_at IS NULL');
  return Number((rows as Array<{ n: number }>)[0]?.n ?? 0);
}
