import type { InterfaceStore } from '../model/ports.js';
import type { Log } from '../log/logger.js';
import { resolveNode } from '../model/node-identity.js';

/**
 * The two names of the node an agent serves. Kubernetes calls it `kubeName` (NODE_NAME);
 * the OpenStack side's tables call it `dbName` (attached_node_name), which is also the
 * publisher's routing key, so the agent consumes `multinic.node.<dbName>`. They differ on
 * clouds whose VMs are registered in Kubernetes by short hostname but in OpenStack by
 * FQDN (`worker-1` vs `worker-1.novalocal`), or the other way round.
 */
export interface ResolvedNodeName {
  kubeName: string;
  dbName: string;
  /** False when node_table has no matching row: the agent then consumes but never removes anything on resync. */
  known: boolean;
  /** How dbName was chosen, for the start-up log line. */
  how: 'configured' | 'exact' | 'dns-label' | 'unknown' | 'ambiguous';
}

/**
 * Picks this node's database name from node_table's names (pure, for tests), through the
 * one identity rule (src/model/node-identity.ts): the configured NODE_DB_NAME; else the
 * node_table name NODE_NAME designates (verbatim, or the one same host by case, trailing
 * dot, Nova's form or first DNS label); else NODE_NAME itself, unknown. Ambiguity
 * (several node_table names fit) is never guessed: the agent keeps NODE_NAME and, since
 * node_table does not know it, removes nothing on resync.
 */
export function chooseNodeName(kubeName: string, nodeTable: readonly string[], configured?: string): ResolvedNodeName {
  if (configured) return { kubeName, dbName: configured, known: nodeTable.includes(configured), how: 'configured' };
  const r = resolveNode(kubeName, nodeTable);
  if (r.kind === 'known') return { kubeName, dbName: r.name, known: true, how: r.how === 'exact' ? 'exact' : 'dns-label' };
  return { kubeName, dbName: kubeName, known: false, how: r.kind };
}

/**
 * Resolves the database name of this node through node_table (one indexed query) and
 * logs the decision: a warning asking the operator to set NODE_DB_NAME when it had to
 * match by DNS label, was ambiguous, or found nothing. Throws when the query fails, so
 * the caller can retry instead of guessing.
 */
export async function resolveNodeName(
  { kubeName, configured }: { kubeName: string; configured?: string },
  { store, log }: { store: Pick<InterfaceStore, 'listNodeNames'>; log: Pick<Log, 'info' | 'warn'> },
): Promise<ResolvedNodeName> {
  const nodeTable = await store.listNodeNames();
  const resolved = chooseNodeName(kubeName, nodeTable, configured);
  const candidates = resolved.how === 'ambiguous' ? nodeTable.filter((n) => resolveNode(n, [kubeName]).kind === 'known') : undefined;
  const fields = { kubeName, dbName: resolved.dbName, how: resolved.how };
  switch (resolved.how) {
    case 'configured':
      if (resolved.known) log.info(fields, 'node name from NODE_DB_NAME');
      else log.warn(fields, 'NODE_DB_NAME is not in node_table: consuming its queue, but resync will remove nothing');
      break;
    case 'exact':
      log.info(fields, 'node name found in node_table');
      break;
    case 'dns-label':
      log.warn(fields, `node_table knows this node as ${resolved.dbName}: matched by the node-identity rule; set NODE_DB_NAME=${resolved.dbName} to make it explicit`);
      break;
    case 'ambiguous':
      log.warn({ ...fields, candidates }, 'several node_table names match this node by DNS label: set NODE_DB_NAME; until then resync removes nothing');
      break;
    case 'unknown':
      log.warn(fields, 'node_table has no row for this node: consuming its queue, but resync will remove nothing until it appears (or set NODE_DB_NAME)');
      break;
  }
  return resolved;
}
