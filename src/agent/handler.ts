import { contentDigest } from '../events/build.js';
import { isInvalid } from '../events/network.js';
import { EventType, type InterfaceEvent, type InterfaceEventData } from '../events/types.js';
import { patchNodeState } from './patch-node.js';
import type { AgentPorts, HandlerOutcome, PortRow } from '../model/ports.js';

/**
 * Why an event is stale against the row the database holds now, or null when it should
 * be applied. The row wins: an attach older than the row, for a deleted row, for a row
 * now on another node, or of the row's generation with other content (two edits within
 * one second share a generation; the publisher sends the row's content) is stale; so is
 * a detach of a row that is live again at the event's generation or later. No row at
 * all means external tooling manages the port: the event is applied as it stands.
 */
export function staleReason(event: InterfaceEvent, row: PortRow | undefined, dbName: string): string | null {
  if (!row) return null;
  const gen = event.data.generation;
  if (event.type === EventType.Detach) {
    const liveHere = !row.deleted && row.nodeName === dbName;
    return liveHere && row.generation >= gen ? `detach of generation ${gen}, but the row is live again (generation ${row.generation})` : null;
  }
  if (row.deleted) return `attach of generation ${gen}, but the row is deleted (generation ${row.generation})`;
  if (row.nodeName !== dbName) return `attach for ${dbName}, but the row is now attached to ${JSON.stringify(row.nodeName)}`;
  if (gen < row.generation) return `attach of generation ${gen}, older than the row's ${row.generation}`;
  if (gen === row.generation) {
    if (isInvalid(row.data)) return `attach of generation ${gen}, but the row of that generation is invalid: ${row.data.error}`;
    if (contentDigest({ ...event.data, nodeName: row.nodeName }) !== contentDigest(row.data)) {
      return `attach of generation ${gen} differs from the row of the same generation; the row wins (its event follows)`;
    }
  }
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
  const stale = staleReason(event, row, node.dbName);
  // The trigger logs the outcome with its detail (one line per event) and acks.
  if (stale) return { result: 'stale', interfaceName: null, detail: stale };
  return event.type === EventType.Attach ? attach(event, row, ports) : detach(event, row, ports);
}

async function attach(event: InterfaceEvent, row: PortRow | undefined, ports: AgentPorts): Promise<HandlerOutcome> {
  const change = await ports.host.configure(event.data, event.source);
  await patchNodeState(ports);
  const where = await writeBack(event, row, ports, 'configured', change.name);
  return {
    result: change.changed ? 'configured' : 'unchanged',
    interfaceName: change.name,
    detail: `${change.changed ? 'applied' : 'already in place, no apply'}; ${where}`,
  };
}

async function detach(event: InterfaceEvent, row: PortRow | undefined, ports: AgentPorts): Promise<HandlerOutcome> {
  const removed = await ports.host.remove(event.data.portId);
  await patchNodeState(ports);
  const where = await writeBack(event, row, ports, 'removed', removed.name);
  return {
    result: removed.changed ? 'removed' : 'absent',
    interfaceName: removed.name,
    detail: `${removed.changed ? 'removed and applied' : 'nothing to remove'}; ${where}`,
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
): Promise<string> {
  // The row names this node by its database name; the event may have used the Kubernetes
  // one. Conditional on this node: a port that moved keeps the new node's netplan_success.
  const applied: InterfaceEventData = { ...event.data, nodeName: ports.node.dbName };
  const mark = outcome === 'configured' ? ports.store.markConfigured : ports.store.markRemoved;
  const written = row ? await mark.call(ports.store, applied) : false;
  await ports.store.recordOutcome({
    portId: applied.portId,
    nodeName: ports.node.dbName,
    generation: applied.generation,
    contentDigest: contentDigest(applied),
    outcome,
    interfaceName,
    lastError: null,
    eventId: event.id,
  });
  if (!row) return 'no row (external event)';
  if (!written) return 'row changed meanwhile, netplan_success left for its own event';
  return `netplan_success=${outcome === 'configured' ? 1 : 0}`;
}
