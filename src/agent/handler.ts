import { contentDigest } from '../events/build.js';
import { isInvalid } from '../events/network.js';
import { EventType, type InterfaceEvent, type InterfaceEventData } from '../events/types.js';
import { patchNodeState } from './patch-node.js';
import type { AgentPorts, ConfiguredInterface, HandlerOutcome, PortRow } from '../model/ports.js';
import { rowOwner, type RowOwner } from '../model/node-identity.js';

/** What `staleReason` weighs an event against, besides the row. */
export interface StaleContext {
  /** This node's node_table name (or NODE_DB_NAME). */
  thisNode: string;
  /** node_table's live names; needed only when the row's spelling differs from `thisNode`. */
  nodeTable?: readonly string[];
  /** What this host configured for the port, when there is no row (external tooling). */
  configured?: ConfiguredInterface;
}

/**
 * Why an event is stale, or null when it should be applied. Content decides, not the
 * clock: a row version (modified_at) can move backwards (writers in different session
 * time zones, local-time DATETIME across a DST change, a clock step), so an attach whose
 * content is not the row's current content is stale whatever its generation — the row
 * (and resync) win, and the row's own event follows. Generations order only events of
 * equal content (an older one is stale) and external events with no row (older than
 * what the host has from that tooling is stale).
 *
 * Whose the row is follows the one identity rule (src/model/node-identity.ts), and a
 * detach removes only on positive evidence: the row is deleted (or its subnet is), or it
 * names another node that node_table knows. A live row naming no known node, or several,
 * refuses the detach: nothing is removed and the reason is returned.
 */
export function staleReason(event: InterfaceEvent, row: PortRow | undefined, context: StaleContext | string): string | null {
  const { thisNode, nodeTable = [], configured } = typeof context === 'string' ? { thisNode: context } : context;
  const gen = event.data.generation;
  const kind = event.type === EventType.Detach ? 'detach' : 'attach';
  if (!row) {
    if (configured && configured.generation > gen) {
      return `${kind} of generation ${gen}, older than the generation ${configured.generation} configured here (no row: generations order external events)`;
    }
    return null;
  }
  const owner: RowOwner = row.nodeName === thisNode ? { owner: 'this' } : rowOwner(row.nodeName, thisNode, nodeTable);
  if (event.type === EventType.Detach) {
    if (row.deleted || owner.owner === 'other') return null;
    if (owner.owner === 'this') return `detach of generation ${gen}, but the row is live again on this node (generation ${row.generation}); the row wins`;
    return `detach refused, nothing removed: ${owner.reason}`;
  }
  if (row.deleted) return `attach of generation ${gen}, but the row is deleted (generation ${row.generation})`;
  if (owner.owner === 'other') return `attach for ${thisNode}, but the row is now attached to ${JSON.stringify(owner.node)}`;
  if (owner.owner !== 'this') return `attach refused: ${owner.reason}`;
  if (isInvalid(row.data)) return `attach of generation ${gen}, but the row is invalid: ${row.data.error}`;
  if (contentDigest({ ...event.data, nodeName: row.data.nodeName }) !== contentDigest(row.data)) {
    return `attach of generation ${gen} is not the row's current content (generation ${row.generation}); the row wins (its event follows)`;
  }
  if (gen < row.generation) return `attach of generation ${gen}, older than the row's ${row.generation} with the same content`;
  return null;
}

/**
 * The agent's handler: a function of (event, ports) that a queue trigger invokes for
 * each validated event. Order (docs/DESIGN.md): drop stale -> apply on the host -> patch the
 * Node from the whole state -> write netplan_success (only while the row still says
 * what was applied) -> record the outcome -> return, and the trigger acks. Every step is
 * idempotent, so a retry after any failure repeats nothing visible: a duplicate costs no
 * apply (the host sees identical content). Throws on failure; the trigger classifies.
 */
export async function handleInterfaceEvent(event: InterfaceEvent, ports: AgentPorts): Promise<HandlerOutcome> {
  const { store, node } = ports;
  const row = await store.getPort(event.data.portId);
  const context: StaleContext = { thisNode: node.dbName };
  // Only a spelling other than this node's own needs node_table to tell whose it is.
  if (row && row.nodeName !== node.dbName) context.nodeTable = await store.listNodeNames();
  if (!row) context.configured = (await ports.host.listConfigured()).find((c) => c.portId === event.data.portId);
  const stale = staleReason(event, row, context);
  // The trigger logs the outcome with its detail (one line per event) and acks.
  if (stale) return { result: 'stale', interfaceName: null, detail: stale };
  const nodeTable = context.nodeTable ?? [];
  return event.type === EventType.Attach ? attach(event, row, ports, nodeTable) : detach(event, row, ports, nodeTable);
}

async function attach(event: InterfaceEvent, row: PortRow | undefined, ports: AgentPorts, nodeTable: readonly string[]): Promise<HandlerOutcome> {
  const change = await ports.host.configure(event.data, event.source);
  await patchNodeState(ports);
  const where = await writeBack(event, row, ports, 'configured', change.name, nodeTable);
  return {
    result: change.changed ? 'configured' : 'unchanged',
    interfaceName: change.name,
    detail: `${change.changed ? 'applied' : 'already in place, no apply'}; ${where}`,
  };
}

async function detach(event: InterfaceEvent, row: PortRow | undefined, ports: AgentPorts, nodeTable: readonly string[]): Promise<HandlerOutcome> {
  const removed = await ports.host.remove(event.data.portId);
  await patchNodeState(ports);
  const where = await writeBack(event, row, ports, 'removed', removed.name, nodeTable);
  return {
    result: removed.changed ? 'removed' : 'absent',
    interfaceName: removed.name,
    detail: `${removed.changed ? 'removed and applied' : 'nothing to remove'}; ${where}`,
  };
}

/**
 * What a write-back records for `event`: written against the row as read — its spelling of
 * this node (the event may have used the Kubernetes name) and, for an attach, its
 * generation (the content is the row's, see staleReason) — so a port that moved keeps the
 * new node's netplan_success. Without a row, the event's data under `thisNode`'s name.
 */
export function appliedData(
  event: InterfaceEvent,
  row: PortRow | undefined,
  thisNode: string,
  outcome: 'configured' | 'removed',
  nodeTable: readonly string[],
): InterfaceEventData {
  const mine = row?.nodeName != null && (row.nodeName === thisNode || rowOwner(row.nodeName, thisNode, nodeTable).owner === 'this');
  return {
    ...event.data,
    nodeName: mine ? row!.nodeName! : thisNode,
    generation: row && outcome === 'configured' ? row.generation : event.data.generation,
  };
}

/**
 * Writes netplan_success back (only when a row exists and still describes what was
 * applied) and records the outcome in MultiNIC's own table. Returns where the row
 * stands, for the trigger's log line.
 */
async function writeBack(
  event: InterfaceEvent,
  row: PortRow | undefined,
  ports: AgentPorts,
  outcome: 'configured' | 'removed',
  interfaceName: string | null,
  nodeTable: readonly string[],
): Promise<string> {
  const applied = appliedData(event, row, ports.node.dbName, outcome, nodeTable);
  const mark = outcome === 'configured' ? ports.store.markConfigured : ports.store.markRemoved;
  const written = row ? await mark.call(ports.store, applied) : false;
  await ports.store.recordOutcome({
    portId: applied.portId,
    nodeName: ports.node.dbName,
    generation: applied.generation,
    contentDigest: contentDigest({ ...applied, nodeName: ports.node.dbName }),
    outcome,
    interfaceName,
    lastError: null,
    eventId: event.id,
  });
  if (!row) return 'no row (external event)';
  if (!written) return 'row changed meanwhile, netplan_success left for its own event';
  return `netplan_success=${outcome === 'configured' ? 1 : 0}`;
}
