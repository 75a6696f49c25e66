import { QueryTypes, type Sequelize } from 'sequelize';
import { interfaceRowsSql, readInterfaceRows } from './interface-row.js';
import { PortOutcome } from './models.js';
import type { FailedOutcome, NodeDirectory, PendingRows, PortOutcomes } from '../model/publisher-ports.js';

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

/** Sequelize adapters of the publisher's database ports. */
export function createSqlSources(db: Sequelize): { rows: PendingRows; outcomes: PortOutcomes; nodes: NodeDirectory } {
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
    },
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
