import { contentDigest } from '../events/build.js';
import { isInvalid, type Invalid } from '../events/network.js';
import { EventType, type InterfaceEventData } from '../events/types.js';
import { resolveNode } from '../model/node-identity.js';
import type { ConfiguredPlacement, PublisherPorts, SubnetWatch } from '../model/publisher-ports.js';
import { interfaceDataFromRow, rowDeleted, type InterfaceRowWithSubnet } from '../model/row-data.js';

/**
 * Work the pending index cannot show: a port configured on a node it has left (a move),
 * and configured ports whose subnet changed (a renumbered CIDR, a soft-deleted subnet).
 * Both are found by comparing the row with where and what an agent recorded it
 * configured (multinic_port_state), so they reach the nodes within a poll cycle instead
 * of at their next resync.
 */

/** One extra event for the poll to publish; it is not tracked as the row's own event. */
export interface ExtraEvent {
  type: EventType;
  data: InterfaceEventData;
  reason: 'moved' | 'subnet';
}

/**
 * The node_table spelling a row's node name routes to, under the one identity rule
 * (src/model/node-identity.ts): the events of a row naming `worker-1.novalocal` go to
 * `multinic.node.worker-1` when node_table says `worker-1`. A name node_table does not
 * know routes as it is; one that fits several node_table names is an error (never guessed).
 */
export function routeNode(name: string, nodes: readonly string[]): string | Invalid {
  const r = resolveNode(name, nodes);
  if (r.kind === 'known') return r.name;
  if (r.kind === 'ambiguous') {
    return { error: `attached_node_name ${JSON.stringify(name)} matches several node_table names (${r.candidates.join(', ')}): not guessing, fix the row or node_table` };
  }
  return name;
}

const sameRoute = (a: string, b: string, nodes: readonly string[]) => {
  const x = routeNode(a, nodes);
  const y = routeNode(b, nodes);
  return !isInvalid(x) && !isInvalid(y) && x === y;
};

/** A detach of `data` for the node where the port was configured. */
const detachAt = (data: InterfaceEventData, node: string, reason: ExtraEvent['reason']): ExtraEvent => ({ type: EventType.Detach, data: { ...data, nodeName: node }, reason });

/**
 * Events that bring one configured port in line with its row: a detach where it was
 * configured when the row (or its subnet) is deleted or names another node, plus an
 * attach where the row says when it moved or its content (e.g. the subnet's CIDR)
 * differs from what was configured. None when the row is invalid (the pending flow or
 * the agent's resync reports it) or nothing changed.
 */
export function driftEvents(row: InterfaceRowWithSubnet, placement: ConfiguredPlacement, nodes: readonly string[]): ExtraEvent[] {
  const mapped = interfaceDataFromRow(row);
  if (isInvalid(mapped)) return [];
  if (rowDeleted(row)) return [detachAt(mapped, placement.node, 'subnet')];
  const target = routeNode(mapped.nodeName, nodes);
  if (isInvalid(target)) return [];
  const data = { ...mapped, nodeName: target };
  if (!sameRoute(placement.node, target, nodes)) return [detachAt(data, placement.node, 'moved'), { type: EventType.Attach, data, reason: 'moved' }];
  if (contentDigest({ ...data, nodeName: placement.node }) !== placement.contentDigest) return [{ type: EventType.Attach, data, reason: 'subnet' }];
  return [];
}

/**
 * Detaches for attaches about to be published whose port an agent recorded configured
 * on another node: the port moved in place (attached_node_name changed), and the old
 * node must drop its file and address now, not at its resync. One query, only for ports
 * with work.
 */
export async function moveDetaches(ports: Pick<PublisherPorts, 'outcomes'>, attaches: readonly InterfaceEventData[], nodes: readonly string[]): Promise<ExtraEvent[]> {
  if (attaches.length === 0) return [];
  const placements = await ports.outcomes.configuredAmong(attaches.map((d) => d.portId));
  const byPort = new Map(attaches.map((d) => [d.portId, d]));
  return placements.flatMap((p) => {
    const data = byPort.get(p.portId);
    return data && !sameRoute(p.node, data.nodeName, nodes) ? [detachAt(data, p.node, 'moved')] : [];
  });
}

/** What the subnet watch found this cycle; `commit` is called once every event of it was confirmed. */
export interface SubnetChanges {
  events: ExtraEvent[];
  commit(): void;
}

/** What the poll keeps between cycles for the subnet watch. */
export interface SubnetWatchState {
  fingerprint: string | null;
  snapshot: Map<string, string> | null;
}

/**
 * The subnet watch of one cycle: one fingerprint query; only when it changed, a snapshot
 * of every subnet and the configured rows on the subnets that differ from the last
 * snapshot (all configured rows on the first cycle of a leader, which also catches
 * whatever changed while no publisher ran). The caller publishes the events and commits;
 * an unconfirmed publish leaves the old fingerprint, so the next cycle tries again.
 */
export async function subnetChanges(watch: SubnetWatch, state: SubnetWatchState, nodes: readonly string[]): Promise<SubnetChanges | null> {
  const fingerprint = await watch.fingerprint();
  if (fingerprint === state.fingerprint) return null;
  const snapshot = await watch.snapshot();
  const previous = state.snapshot;
  const changed = previous === null ? null : [...snapshot].filter(([id, key]) => previous.get(id) !== key).map(([id]) => id);
  const rows = changed === null || changed.length > 0 ? await watch.configuredRows(changed) : [];
  return {
    events: rows.flatMap(({ row, placement }) => driftEvents(row, placement, nodes)),
    commit: () => {
      state.fingerprint = fingerprint;
      state.snapshot = snapshot;
    },
  };
}
