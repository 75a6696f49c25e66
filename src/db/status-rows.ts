import { QueryTypes, type Sequelize } from 'sequelize';
import { resolveNode, sameNode } from '../model/node-identity.js';

/** One multi_interface row as `multinic status` lists it, with its node's and its last outcome's facts. */
export interface StatusRowFacts {
  portId: string;
  /** attached_node_name as the row spells it. */
  node: string | null;
  macAddress: string | null;
  address: string | null;
  crNamespace: string | null;
  crName: string | null;
  deleted: boolean;
  netplanSuccess: boolean;
  /** The row's version, ms since the epoch (modified_at, else created_at). */
  generation: number;
  /** A live node_table row names this row's node under the identity rule (src/model/node-identity.ts). */
  nodeKnown: boolean;
  /** node_table names the row's spelling fits at once: the row is nobody's until it is fixed. */
  nodeAmbiguous?: string[];
  /** multinic_port_state: the agent's last recorded outcome for this port, if any. */
  outcome: { outcome: string; generation: number; lastError: string | null; at: number | null; node: string } | null;
}

/** What to list: rows needing work or naming an unknown node (default), or every row of one CR. */
export interface StatusRowQuery {
  /** Only this node's rows, any spelling of it (the identity rule, as `status --node` counts them). */
  node?: string;
  cr?: { namespace: string; name: string };
  /** Most rows returned, oldest first (default 100). */
  limit?: number;
}

interface Raw {
  port_id: string;
  node: string | null;
  macaddress: string | null;
  address: string | null;
  cr_namespace: string | null;
  cr_name: string | null;
  deleted: number | string;
  netplan_success: number | string;
  generation: number | string;
  outcome: string | null;
  ps_generation: number | string | null;
  last_error: string | null;
  ps_at: Date | string | null;
  ps_node: string | null;
}

const WORK = '((mi.deleted_at IS NULL AND mi.netplan_success = 0) OR (mi.deleted_at IS NOT NULL AND mi.netplan_success = 1))';

/** `col IN (:key)`, or a constant when the list is empty (SQL has no empty IN list). */
const inList = (col: string, key: string, values: readonly string[], empty: 'TRUE' | 'FALSE') => (values.length ? `${col} IN (:${key})` : empty);

/**
 * Reads the rows `multinic status` explains (the session runs at +00:00, so UNIX_TIMESTAMP
 * gives the generation in UTC as everywhere else): by default every row with work
 * outstanding (attach or detach) and every live row whose node node_table does not know
 * under the identity rule (src/model/node-identity.ts: `worker-1.novalocal` rows belong to
 * node_table's `worker-1`; a spelling fitting several names is nobody's); with `cr`, every
 * row of that OpenstackConfig CR whatever its state. The rule is applied to the distinct
 * spellings first, so the row query keeps its SQL order and limit: oldest version first, at
 * most `limit`.
 */
export async function queryStatusRows(db: Sequelize, { node, cr, limit = 100 }: StatusRowQuery = {}): Promise<StatusRowFacts[]> {
  const known = (await db.query<{ name: string }>('SELECT attached_node_name AS name FROM node_table WHERE deleted_at IS NULL', { type: QueryTypes.SELECT })).map((n) => n.name);
  const spellings = (await db.query<{ name: string }>('SELECT DISTINCT attached_node_name AS name FROM multi_interface WHERE attached_node_name IS NOT NULL', { type: QueryTypes.SELECT })).map((n) => n.name);
  const resolution = new Map(spellings.map((n) => [n, resolveNode(n, known)] as const));
  const owner = (n: string) => {
    const r = resolution.get(n)!;
    return r.kind === 'known' ? r.name : n;
  };
  const accounted = spellings.filter((n) => resolution.get(n)!.kind === 'known');
  const ofNode = node === undefined ? [] : spellings.filter((n) => owner(n) === node || sameNode(owner(n), node));
  const unknownLive = `(mi.deleted_at IS NULL AND (mi.attached_node_name IS NULL OR NOT ${inList('mi.attached_node_name', 'accounted', accounted, 'FALSE')}))`;
  const rows = await db.query<Raw>(
    `SELECT mi.port_id, mi.attached_node_name AS node, mi.macaddress, mi.address, mi.cr_namespace, mi.cr_name,
            mi.deleted_at IS NOT NULL AS deleted, mi.netplan_success,
            ROUND(UNIX_TIMESTAMP(COALESCE(mi.modified_at, mi.created_at)) * 1000) AS generation,
            ps.outcome, ps.generation AS ps_generation, ps.last_error, ps.updated_at AS ps_at, ps.node_name AS ps_node
     FROM multi_interface mi
     LEFT JOIN multinic_port_state ps ON ps.port_id = mi.port_id
     WHERE ${node === undefined ? 'TRUE' : inList('mi.attached_node_name', 'ofNode', ofNode, 'FALSE')}
       AND (${cr ? 'mi.cr_namespace = :crNamespace AND mi.cr_name = :crName' : `${WORK} OR ${unknownLive}`})
     ORDER BY COALESCE(mi.modified_at, mi.created_at), mi.id
     LIMIT :limit`,
    { replacements: { accounted, ofNode, crNamespace: cr?.namespace ?? null, crName: cr?.name ?? null, limit }, type: QueryTypes.SELECT },
  );
  return rows.map((r) => {
    const res = r.node === null ? undefined : resolution.get(r.node);
    return {
      portId: r.port_id,
      node: r.node,
      macAddress: r.macaddress,
      address: r.address,
      crNamespace: r.cr_namespace,
      crName: r.cr_name,
      deleted: Number(r.deleted) === 1,
      netplanSuccess: Number(r.netplan_success) === 1,
      generation: Number(r.generation),
      nodeKnown: res?.kind === 'known',
      ...(res?.kind === 'ambiguous' && { nodeAmbiguous: res.candidates }),
      outcome:
        r.outcome === null
          ? null
          : { outcome: r.outcome, generation: Number(r.ps_generation), lastError: r.last_error, at: r.ps_at === null ? null : new Date(r.ps_at).getTime(), node: r.ps_node ?? '' },
    };
  });
}

/** Who holds the publisher's MySQL named lock: the holder's connection id and, when this user may see it (PROCESS), its user and host. */
export interface LockHolder {
  lockName: string;
  connectionId: number | null;
  user: string | null;
  host: string | null;
}

/**
 * Asks the server which connection holds `lockName` (MySQL/MariaDB `IS_USED_LOCK`, "Locking
 * Functions" in the manual) and looks it up in information_schema.PROCESSLIST, which shows
 * other users' connections only with the PROCESS privilege (else user and host stay null).
 */
export async function queryLockHolder(db: Sequelize, lockName: string): Promise<LockHolder> {
  const [used] = await db.query<{ id: number | string | null }>('SELECT IS_USED_LOCK(:lockName) AS id', { replacements: { lockName }, type: QueryTypes.SELECT });
  const connectionId = used?.id === null || used?.id === undefined ? null : Number(used.id);
  if (connectionId === null) return { lockName, connectionId, user: null, host: null };
  const [p] = await db.query<{ user: string; host: string }>('SELECT USER AS user, HOST AS host FROM information_schema.PROCESSLIST WHERE ID = :id', {
    replacements: { id: connectionId },
    type: QueryTypes.SELECT,
  });
  return { lockName, connectionId, user: p?.user ?? null, host: p?.host ?? null };
}
