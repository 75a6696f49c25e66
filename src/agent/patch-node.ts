import { computeNodeState } from './node-state.js';
import { rowOwner } from '../model/node-identity.js';
import type { AgentPorts, ConfiguredInterface, NodeInterfaceState, NodePorts } from '../model/ports.js';

/**
 * Why rows that may be this node's are not accounted for: the names the store found
 * fitting several node_table names, and each file on this host whose port is not among
 * this node's rows while its row names no node node_table knows (or several). Nothing of
 * theirs is removed (docs/DESIGN.md, "Never wipe on a wrong answer"), so they keep the
 * node not ready until someone fixes the name. One getPort per such file; none on a
 * healthy node. Throws when the database fails.
 */
export async function unaccountedRows(
  ports: Pick<AgentPorts, 'store' | 'node'>,
  nodePorts: NodePorts,
  configured: readonly ConfiguredInterface[],
): Promise<string[]> {
  const reasons = [...(nodePorts.unaccounted ?? [])];
  if (!nodePorts.known) return reasons;
  const listed = new Set(nodePorts.rows.map((r) => r.portId));
  for (const c of configured) {
    if (listed.has(c.portId)) continue;
    const row = await ports.store.getPort(c.portId);
    if (!row || row.deleted) continue;
    const owner = rowOwner(row.nodeName, ports.node.dbName, nodePorts.nodeTable ?? []);
    if (owner.owner === 'unknown' || owner.owner === 'ambiguous') reasons.push(`port ${c.portId} (${c.name}): ${owner.reason}; its file is kept`);
  }
  return reasons;
}

/**
 * Patches this agent's Node from the node's whole current state: this node's rows (one
 * query) and what MultiNIC's files configure on the host, with any row left unaccounted
 * for keeping it not ready. Used after every change and by every resync, so a lost patch
 * heals. Throws when the database or the Kubernetes API fails, so the event is retried
 * rather than acked with a stale Node.
 */
export async function patchNodeState(
  ports: Pick<AgentPorts, 'store' | 'host' | 'nodes' | 'node'>,
  {
    extraErrors = [],
    force = false,
    onUnaccounted,
  }: { extraErrors?: readonly string[]; force?: boolean; /** Receives the unaccounted-for reasons (resync logs and counts them). */ onUnaccounted?: (reasons: string[]) => void } = {},
): Promise<NodeInterfaceState> {
  const [nodePorts, configured] = await Promise.all([ports.store.listNodePorts(ports.node.dbName), ports.host.listConfigured()]);
  const unaccounted = await unaccountedRows(ports, nodePorts, configured);
  onUnaccounted?.(unaccounted);
  const state = computeNodeState({ ports: nodePorts, configured, extraErrors: [...extraErrors, ...unaccounted] });
  await ports.nodes.patchInterfaces(ports.node.kubeName, state, { force });
  return state;
}
