import { isInvalid } from '../events/network.js';
import { sameContent } from '../model/content.js';
import type { ConfiguredInterface, NodeInterfaceState, NodePorts, PortRow } from '../model/ports.js';

/** Why one live row of this node is not healthy, or null when it is configured here as the row says. */
export function rowProblem(row: PortRow, configured: ReadonlyMap<string, ConfiguredInterface>): string | null {
  if (isInvalid(row.data)) return `port ${row.portId}: invalid row: ${row.data.error}`;
  if (row.lastFailure && row.lastFailure.generation >= row.generation) return `port ${row.portId}: ${row.lastFailure.error}`;
  const here = configured.get(row.portId);
  if (!here) return `port ${row.portId} (${row.data.macAddress}) is not configured yet`;
  if (!sameContent(here, row.data)) return `port ${row.portId} (${here.name}) does not match its row yet`;
  return null;
}

export interface NodeStateInput {
  /** This node's rows from one successful query; undefined when the query failed. */
  ports: NodePorts | undefined;
  /** What MultiNIC's own files configure on this host. */
  configured: readonly ConfiguredInterface[];
  /** Errors known to the caller that no row shows (a failure of an event with no row, a failed query). */
  extraErrors?: readonly string[];
}

/**
 * The whole MultiNIC state of the node, from which the Node patch is computed (never
 * incrementally, so a lost patch heals on the next one). Ready means every non-deleted
 * row of this node is configured here with the row's content and is valid, with no
 * failure recorded for its current version; otherwise `lastError` says why (the first
 * few reasons, one line). Interfaces configured from external events with no row are
 * listed but do not affect readiness.
 */
export function computeNodeState({ ports, configured, extraErrors = [] }: NodeStateInput): NodeInterfaceState {
  const byPort = new Map(configured.map((c) => [c.portId, c]));
  const problems = [...extraErrors];
  if (!ports) problems.push('the database could not be read');
  else if (!ports.known) problems.push(`node_table has no node named ${JSON.stringify(ports.nodeName)} (set NODE_DB_NAME to its attached_node_name)`);
  else {
    for (const row of ports.rows) {
      if (row.deleted) continue;
      const problem = rowProblem(row, byPort);
      if (problem) problems.push(problem);
    }
  }
  const interfaces = [...configured].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return {
    interfaces,
    ready: problems.length === 0,
    lastError: problems.length === 0 ? null : summarize(problems),
  };
}

/** At most three reasons and a count, so the annotation stays readable on a node with many broken rows. */
function summarize(problems: readonly string[]): string {
  const shown = problems.slice(0, 3).join('; ');
  return problems.length > 3 ? `${shown}; and ${problems.length - 3} more` : shown;
}
