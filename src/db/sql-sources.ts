import { QueryTypes, type Sequelize } from 'sequelize';
import { INTERFACE_ROW_SELECT, interfaceRowsSql, normalizeRow, readInterfaceRows } from './interface-row.js';
import { PortOutcome } from './models.js';
import type { ConfiguredPlacement, FailedOutcome, NodeDirectory, PendingRows, PortOutcomes, SubnetWatch } from '../model/publisher-ports.js';

/** The index every poll uses: (netplan_success, deleted_at), from migration 0003. */
export const PENDING_INDEX = 'ix_multi_interface_pending';

/**
 * Rows needing work, as two ranges of the pending index: attach (configured = 0, not
 * deleted) and detach (configured = 1, deleted). Only pending rows are read, so a cycle
 * costs the same for ten nodes or ten thousand with everything settled.
 */
export const PENDING_WHERE =
  '((i.netplan_success = 0 AND i.deleted_at IS NULL) OR (i.netplan_success = 1 AND i.deleted_at IS NOT NULL)) AND i.id > ?';
const PENDING_TAIL = 'ORDER BY i.id LIMIT ?';

/** The poll's SQL with its placeholders, for EXPLAIN in the tests. */
export const PENDING_SQL = interfaceRowsSql({ where: PENDING_WHERE, tail: PENDING_TAIL, forceIndex: PENDING_INDEX });

/**
 * The subnet watch's one query per cycle: a count and two checksums over every subnet's
 * (subnet_id, cidr, network_id, deleted), which MariaDB reads from the covering index
 * ix_multi_subnet_watch (migration 0005; "Using index", checked by the integration test
 * and test/measure/identity-queries.ts). Not forced: a publisher that starts before the
 * migration still works. Any edit of those columns changes it; no clock is involved, so a
 * modified_at that moves backwards cannot hide a change.
 */
export const SUBNET_FINGERPRINT_SQL = `SELECT COUNT(*) AS n,
  COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', subnet_id, COALESCE(cidr, '-'), COALESCE(network_id, '-'), deleted_at IS NULL))), 0) AS x,
  COALESCE(SUM(CRC32(CONCAT_WS('|', COALESCE(cidr, '-'), subnet_id, deleted_at IS NULL, COALESCE(network_id, '-')))), 0) AS s
FROM multi_subnet`;

/** Sequelize adapter of the publisher's subnet watch. */
function subnetWatch(db: Sequelize): SubnetWatch {
  return {
    async fingerprint() {
      const [r] = await db.query<{ n: number | string; x: number | string; s: number | string }>(SUBNET_FINGERPRINT_SQL, { type: QueryTypes.SELECT });
      return `${r!.n}:${r!.x}:${r!.s}`;
    },
    async snapshot() {
      const rows = await db.query<{ subnet_id: string; cidr: string | null; network_id: string | null; deleted: number | string }>(
        'SELECT subnet_id, cidr, network_id, deleted_at IS NOT NULL AS deleted FROM multi_subnet',
        { type: QueryTypes.SELECT },
      );
      return new Map(rows.map((r) => [r.subnet_id, JSON.stringify([r.cidr, r.network_id, Number(r.deleted)])]));
    },
    async configuredRows(subnetIds) {
      if (subnetIds !== null && subnetIds.length === 0) return [];
      const where = subnetIds === null ? 'TRUE' : 'i.subnet_id IN (?)';
      const raw = await db.query<Record<string, unknown>>(
        `SELECT r.*, p.node_name AS p_node, p.content_digest AS p_digest
         FROM (${INTERFACE_ROW_SELECT} WHERE ${where}) r
         JOIN multinic_port_state p ON p.port_id = r.port_id AND p.outcome = ?
         ORDER BY r.id`,
        { replacements: subnetIds === null ? [PortOutcome.Configured] : [subnetIds, PortOutcome.Configured], type: QueryTypes.SELECT },
      );
      return raw.map((r) => {
        const row = normalizeRow(r);
        return { row, placement: { portId: row.port_id, node: String(r.p_node), contentDigest: String(r.p_digest) } };
      });
    },
  };
}

/** Sequelize adapters of the publisher's database ports. */
export function createSqlSources(db: Sequelize): { rows: PendingRows; outcomes: PortOutcomes; nodes: NodeDirectory; subnets: SubnetWatch } {
  return {
    rows: {
      pendingAfter: (afterId, limit) =>
        readInterfaceRows(db, { where: PENDING_WHERE, tail: PENDING_TAIL, forceIndex: PENDING_INDEX, replacements: [afterId, limit] }),
    },
    outcomes: {
      async failedAmong(portIds) {
        if (portIds.length === 0) return [];
        const rows = await db.query<{ port_id: string; generation: number | string; content_digest: string }>(
          'SELECT port_id, generation, content_digest FROM multinic_port_state WHERE outcome = ? AND port_id IN (?)',
          { replacements: [PortOutcome.Failed, portIds], type: QueryTypes.SELECT },
        );
        return rows.map((r): FailedOutcome => ({ portId: r.port_id, generation: Number(r.generation), contentDigest: r.content_digest }));
      },
      async configuredAmong(portIds) {
        if (portIds.length === 0) return [];
        const rows = await db.query<{ port_id: string; node_name: string; content_digest: string }>(
          'SELECT port_id, node_name, content_digest FROM multinic_port_state WHERE outcome = ? AND port_id IN (?)',
          { replacements: [PortOutcome.Configured, portIds], type: QueryTypes.SELECT },
        );
        return rows.map((r): ConfiguredPlacement => ({ portId: r.port_id, node: r.node_name, contentDigest: r.content_digest }));
      },
    },
    subnets: subnetWatch(db),
    nodes: {
      async listNodes() {
        const rows = await db.query<{ name: string }>(
          'SELECT attached_node_name AS name FROM node_table WHERE deleted_at IS NULL ORDER BY attached_node_name',
          { type: QueryTypes.SELECT },
        );
        return rows.map((r) => r.name);
      },
    },
  };
}
