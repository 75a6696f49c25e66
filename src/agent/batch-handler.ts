import { contentDigest } from '../events/build.js';
import { EventType, type InterfaceEvent, type InterfaceEventData } from '../events/types.js';
import type { AgentPorts, HandlerOutcome, HostBatchChange, HostBatchResult, InterfaceHost, PortOutcomeRecord } from '../model/ports.js';
import { appliedData, staleReason } from './handler.js';
import { patchNodeState } from './patch-node.js';

/** One event's result in a batch: handled (as handleInterfaceEvent returns), or failed alone. */
export type EventResult = { ok: true; value: HandlerOutcome } | { ok: false; error: unknown };

/**
 * The host's applyBatch, or for a host without one its configure / remove one change at a
 * time (each its own apply), with a change's failure kept as its result.
 */
export async function applyHostBatch(host: InterfaceHost, changes: readonly HostBatchChange[]): Promise<HostBatchResult[]> {
  if (host.applyBatch) return host.applyBatch(changes);
  const out: HostBatchResult[] = [];
  for (const c of changes) {
    try {
      out.push({ ok: true, ...(c.op === 'configure' ? await host.configure(c.data, c.origin) : await host.remove(c.portId)) });
    } catch (error) {
      out.push({ ok: false, error });
    }
  }
  return out;
}

/**
 * The agent's batch handler: several events of this node's queue, in order, as one
 * change (docs/DESIGN.md, failure semantics: a burst for one node may be applied together
 * as long as each event's outcome is recorded, written back and acknowledged on its own).
 * Reads the rows of every event in one query; drops the stale ones (staleReason, as the
 * single handler does); hands the rest to the host as one batch — one validation, one
 * apply, one verification; patches the Node once from the whole state; then writes
 * netplan_success of the attached rows in one compare-and-set statement (a row that changed
 * meanwhile falls back to its own), of each detached row on its own, and records all
 * outcomes in one statement. Returns one result per event, in order: an event whose host
 * change failed alone (its NIC missing, a file not ours) is `{ ok: false }` and the queue
 * trigger retries it on its own. Throws when the shared part fails (the rows cannot be
 * read, the batch's validation or apply, the Node patch, a write-back); the trigger then
 * splits the batch. Every step is idempotent, as in the single handler.
 */
export async function handleInterfaceEvents(events: readonly InterfaceEvent[], ports: AgentPorts): Promise<EventResult[]> {
  const { store, node } = ports;
  const rows = await store.getPorts(events.map((e) => e.data.portId));
  // As the single handler: node_table only when a row spells this node otherwise, the host's view only for events without a row.
  const rowOf = (e: InterfaceEvent) => rows.get(e.data.portId);
  const nodeTable = events.some((e) => { const r = rowOf(e); return r !== undefined && r.nodeName !== node.dbName; }) ? await store.listNodeNames() : [];
  const configured = events.some((e) => !rowOf(e)) ? await ports.host.listConfigured() : [];
  const results: EventResult[] = [];
  const changes: HostBatchChange[] = [];
  const pending: number[] = [];
  for (const [i, e] of events.entries()) {
    const stale = staleReason(e, rowOf(e), { thisNode: node.dbName, nodeTable, configured: configured.find((c) => c.portId === e.data.portId) });
    results.push({ ok: true, value: { result: 'stale', interfaceName: null, detail: stale ?? '' } });
    if (stale) continue;
    changes.push(e.type === EventType.Attach ? { op: 'configure', data: e.data, origin: e.source } : { op: 'remove', portId: e.data.portId });
    pending.push(i);
  }
  if (changes.length === 0) return results;

  const done = await applyHostBatch(ports.host, changes);
  await patchNodeState(ports);
  const appliedOf = (i: number): InterfaceEventData => {
    const e = events[i]!;
    return appliedData(e, rowOf(e), node.dbName, e.type === EventType.Attach ? 'configured' : 'removed', nodeTable);
  };
  const hasRow = (i: number) => rows.has(events[i]!.data.portId);
  const attached = pending.filter((i, k) => done[k]!.ok && hasRow(i) && events[i]!.type === EventType.Attach);
  const marked = new Map((await store.markConfiguredMany(attached.map(appliedOf))).map((ok, n) => [attached[n]!, ok]));
  const records: PortOutcomeRecord[] = [];
  for (const [k, i] of pending.entries()) {
    const e = events[i]!;
    const change = done[k]!;
    if (!change.ok) {
      results[i] = { ok: false, error: change.error };
      continue;
    }
    const attach = e.type === EventType.Attach;
    const applied = appliedOf(i);
    const row = rows.get(e.data.portId);
    const written = !row ? false : attach ? marked.get(i)! : await store.markRemoved(applied);
    const outcome = attach ? 'configured' : 'removed';
    records.push({ portId: applied.portId, nodeName: node.dbName, generation: applied.generation, contentDigest: contentDigest({ ...applied, nodeName: node.dbName }), outcome, interfaceName: change.name, lastError: null, eventId: e.id });
    const where = !row ? 'no row (external event)' : !written ? 'row changed meanwhile, netplan_success left for its own event' : `netplan_success=${attach ? 1 : 0}`;
    const result = attach ? (change.changed ? 'configured' : 'unchanged') : change.changed ? 'removed' : 'absent';
    const did = attach ? (change.changed ? `applied (one apply for a batch of ${events.length})` : 'already in place, no apply') : change.changed ? 'removed and applied' : 'nothing to remove';
    results[i] = { ok: true, value: { result, interfaceName: change.name, detail: `${did}; ${where}` } };
  }
  await store.recordOutcomes(records);
  return results;
}
