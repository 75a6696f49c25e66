import { Decision, type Candidate, type PublishTracker } from './tracker.js';
import { reasonOf } from '../errors/classify.js';
import type { PublisherPorts } from '../model/publisher-ports.js';

/** What the gate needs of one unit of work. */
export interface GatedWork {
  candidate: Candidate;
  data: { nodeName: string };
  /** The tracker's decision, or why an extra event (not a row's own) goes out. */
  decision: Decision | string;
}

/** What the gate remembers between cycles (part of the poll's state). */
export interface GateState {
  tracker: PublishTracker;
  /** attached_node_name of every live node_table row, as of the last node refresh. */
  knownNodes: Set<string>;
  /** Unknown node names already logged, so each is logged once until it appears. */
  reportedUnknown: Set<string>;
}

export function createGateState(tracker: PublishTracker): GateState {
  return { tracker, knownNodes: new Set(), reportedUnknown: new Set() };
}

/**
 * Decides which work goes out this cycle; the rest waits in the database (nothing is
 * recorded as sent, so it is looked at again next cycle):
 * - a row whose node is not in node_table waits, logged once per name: no queue is ever
 *   created for it, and the event would otherwise reach nobody;
 * - a row whose node queue is unusable (declared elsewhere with other arguments) waits; the
 *   broker adapter reports the queue once per change and other nodes go on;
 * - a resend goes only when the broker may really have lost the event: the node's queue
 *   holds no ready message (a passive declare, one per node and cycle). A queue that still
 *   holds messages — typically an agent that is down — gets no further copy, so a long
 *   outage leaves one copy per (port, generation), not one per `resendAfter`; the row is
 *   looked at again `resendAfter` later.
 */
export async function gateWork<W extends GatedWork>(ports: PublisherPorts, state: GateState, work: W[], nowMs: number): Promise<W[]> {
  const { broker, log, metrics } = ports;
  const waiting = { unknown_node: 0, unusable_queue: 0 };
  const unknown = new Map<string, number>();
  const routable = work.filter((w) => {
    const node = w.data.nodeName;
    if (state.knownNodes.has(node)) return true;
    waiting.unknown_node++;
    unknown.set(node, (unknown.get(node) ?? 0) + 1);
    return false;
  });
  for (const [node, rows] of unknown) {
    if (state.reportedUnknown.has(node)) continue;
    state.reportedUnknown.add(node);
    log.warn({ node, rows }, `rows for node ${JSON.stringify(node)} wait in the database: node_table has no such node, so it gets no queue; add the node or correct attached_node_name`);
  }
  for (const node of state.reportedUnknown) if (state.knownNodes.has(node)) state.reportedUnknown.delete(node);

  const undeclared = [...new Set(routable.map((w) => w.data.nodeName))].filter((n) => !broker.isDeclared(n));
  if (undeclared.length) await broker.declareNodes(undeclared);
  const declared = routable.filter((w) => {
    if (broker.isDeclared(w.data.nodeName)) return true;
    waiting.unusable_queue++;
    return false;
  });

  // Per node with due resends: 'send', 'hold' (the queue still holds messages: postpone by
  // resendAfter) or 'later' (no answer, or the queue is gone and is declared again first).
  const verdict = new Map<string, 'send' | 'hold' | 'later'>();
  for (const node of new Set(declared.filter((w) => w.decision === Decision.Resend).map((w) => w.data.nodeName))) {
    try {
      const depth = await broker.queueDepth(node);
      verdict.set(node, depth === undefined ? 'later' : depth.messages > 0 ? 'hold' : 'send');
    } catch (err) {
      log.debug({ node, reason: reasonOf(err) }, 'cannot check the node queue before a resend; trying next cycle');
      verdict.set(node, 'later');
    }
  }
  const out = declared.filter((w) => {
    if (w.decision !== Decision.Resend) return true;
    const v = verdict.get(w.data.nodeName);
    if (v === 'hold') {
      state.tracker.postpone(w.candidate.portId, nowMs);
      metrics.resendsSkippedQueued.inc();
    }
    return v === 'send';
  });
  metrics.rowsWaiting.set({ reason: 'unknown_node' }, waiting.unknown_node);
  metrics.rowsWaiting.set({ reason: 'unusable_queue' }, waiting.unusable_queue);
  metrics.unusableNodeQueues.set(broker.queueProblems().length);
  return out;
}
