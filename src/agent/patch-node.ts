import { computeNodeState } from './node-state.js';
import type { AgentPorts, NodeInterfaceState } from '../model/ports.js';

/**
 * Patches this agent's Node from the node's whole current state: this node's rows (one
 * query) and what MultiNIC's files configure on the host. Used after every change and by
 * every resync, so a lost patch heals. Throws when the database or the Kubernetes API
 * fails, so the event is retried rather than acked with a stale Node.
 */
export async function patchNodeState(
  ports: Pick<AgentPorts, 'store' | 'host' | 'nodes' | 'node'>,
  { extraErrors = [], force = false }: { extraErrors?: readonly string[]; force?: boolean } = {},
): Promise<NodeInterfaceState> {
  const [nodePorts, configured] = await Promise.all([ports.store.listNodePorts(ports.node.dbName), ports.host.listConfigured()]);
  const state = computeNodeState({ ports: nodePorts, configured, extraErrors });
  await ports.nodes.patchInterfaces(ports.node.kubeName, state, { force });
  return state;
}
