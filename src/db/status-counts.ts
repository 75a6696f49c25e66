import { QueryTypes, type Sequelize } from 'sequelize';
import { PortOutcome } from './index.js';
import { resolveNode, sameNode } from '../model/node-identity.js';

/** The database `multinic status` reads; a name of its own so the status folder never imports Sequelize. */
export type StatusDb = Sequelize;

/** What the database says about one node's interfaces. */
export interface NodeInterfaceCounts {
  node: string;
  /** False when rows name this node but node_table has no (live) row for it. */
  inNodeTable: boolean;
  /** Other spellings of this node the rows use (the identity rule folded them in), e.g. `worker-1.novalocal`. */
  spellings?: string[];
  /** Set when the rows' name fits several node_table names: they are nobody's until it is fixed. */
  ambiguous?: string[];
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
GROUP BY mi.attached_node_name`;

/**
 * Per-node interface counts: every live node_table node (zeros when it has no rows)
 * plus any node that rows name but node_table lacks, sorted by name. Rows are grouped
 * by the node they belong to under the one identity rule (src/model/node-identity.ts),
 * so `worker-1.novalocal` rows count for node_table's `worker-1`; a name fitting several
 * node_table names stays on its own line, marked ambiguous. `node` limits the answer to
 * that node (any spelling).
 */
export async function queryInterfaceCounts(db: Sequelize, node?: string): Promise<NodeInterfaceCounts[]> {
  const nodes = await db.query<{ name: string }>('SELECT attached_node_name AS name FROM node_table WHERE deleted_at IS NULL', { type: QueryTypes.SELECT });
  const rows = await db.query<CountRow>(COUNTS_SQL, { replacements: { failed: PortOutcome.Failed }, type: QueryTypes.SELECT });
  const known = nodes.map((n) => n.name);
  const byNode = new Map<string, NodeInterfaceCounts>();
  for (const n of known) byNode.set(n, { node: n, inNodeTable: true, configured: 0, pending: 0, failed: 0 });
  for (const r of rows) {
    const resolved = resolveNode(r.node, known);
    const key = resolved.kind === 'known' ? resolved.name : r.node;
    const entry = byNode.get(key) ?? { node: key, inNodeTable: false, configured: 0, pending: 0, failed: 0 };
    if (key !== r.node) entry.spellings = [...(entry.spellings ?? []), r.node];
    if (resolved.kind === 'ambiguous') entry.ambiguous = resolved.candidates;
    entry.configured += Number(r.configured ?? 0);
    entry.pending += Number(r.pending ?? 0);
    entry.failed += Number(r.failed ?? 0);
    byNode.set(key, entry);
  }
  const all = [...byNode.values()].sort((a, b) => a.node.localeCompare(b.node));
  return node === undefined ? all : all.filter((c) => c.node === node || sameNode(c.node, node));
}
