import { QueryTypes, type Sequelize } from 'sequelize';
import { PortOutcome } from './index.js';

/** The database `multinic status` reads; a name of its own so the status folder never imports Sequelize. */
export type StatusDb = Sequelize;

/** What the database says about one node's interfaces. */
export interface NodeInterfaceCounts {
  node: string;
  /** False when rows name this node but node_table has no (live) row for it. */
  inNodeTable: boolean;
  /** Not deleted and `netplan_success = 1`. */
  configured: number;
  /** Work outstanding (attach or detach) whose current generation has not failed. */
  pending: number;
  /** Work outstanding whose current generation the agent recorded as failed. */
  failed: number;
}

interface CountRow {
  node: string;
  configured: number | string;
  pending: number | string;
  failed: number | string;
}

/*
 * One grouped query over the node index. A row is "failed" when multinic_port_state
 * holds outcome 'failed' for exactly the row's current generation (modified_at, else
 * created_at, in ms UTC — the session runs at +00:00), so an edited row counts as pending again.
 */
const COUNTS_SQL = `
SELECT mi.attached_node_name AS node,
  SUM(mi.deleted_at IS NULL AND mi.netplan_success = 1) AS configured,
  SUM(((mi.deleted_at IS NULL AND mi.netplan_success = 0) OR (mi.deleted_at IS NOT NULL AND mi.netplan_success = 1))
      AND NOT (ps.outcome <=> :failed)) AS pending,
  SUM(((mi.deleted_at IS NULL AND mi.netplan_success = 0) OR (mi.deleted_at IS NOT NULL AND mi.netplan_success = 1))
      AND (ps.outcome <=> :failed)) AS failed
FROM multi_interface mi
LEFT JOIN multinic_port_state ps
  ON ps.port_id = mi.port_id
 AND ps.generation = ROUND(UNIX_TIMESTAMP(COALESCE(mi.modified_at, mi.created_at)) * 1000)
WHERE mi.attached_node_name IS NOT NULL
  AND (:node IS NULL OR mi.attached_node_name = :node)
GROUP BY mi.attached_node_name`;

/**
 * Per-node interface counts: every live node_table node (zeros when it has no rows)
 * plus any node that rows name but node_table lacks, sorted by name. `node` limits the
 * answer to one node.
 */
export async function queryInterfaceCounts(db: Sequelize, node?: string): Promise<NodeInterfaceCounts[]> {
  const nodes = await db.query<{ name: string }>(
    'SELECT attached_node_name AS name FROM node_table WHERE deleted_at IS NULL AND (:node IS NULL OR attached_node_name = :node)',
    { replacements: { node: node ?? null }, type: QueryTypes.SELECT },
  );
  const rows = await db.query<CountRow>(COUNTS_SQL, {
    replacements: { node: node ?? null, failed: PortOutcome.Failed },
    type: QueryTypes.SELECT,
  });
  const byNode = new Map<string, NodeInterfaceCounts>();
  for (const n of nodes) byNode.set(n.name, { node: n.name, inNodeTable: true, configured: 0, pending: 0, failed: 0 });
  for (const r of rows) {
    const entry = byNode.get(r.node) ?? { node: r.node, inNodeTable: false, configured: 0, pending: 0, failed: 0 };
    entry.configured = Number(r.configured ?? 0);
    entry.pending = Number(r.pending ?? 0);
    entry.failed = Number(r.failed ?? 0);
    byNode.set(r.node, entry);
  }
  return [...byNode.values()].sort((a, b) => a.node.localeCompare(b.node));
}
