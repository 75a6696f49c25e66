import { interfaceDataFromRow, rowDeleted, rowGeneration, type InterfaceRowWithSubnet } from '../model/row-data.js';
import { buildEvent, contentDigest } from '../events/build.js';
import { isInvalid, type Invalid } from '../events/network.js';
import { EventType, type InterfaceEventData } from '../events/types.js';
import { reasonOf } from '../errors/classify.js';
import type { PublisherPorts } from '../model/publisher-ports.js';
import { Decision, PublishTracker, type Candidate } from './tracker.js';
import { createGateState, gateWork, type GateState } from './gate.js';
import { moveDetaches, routeNode, subnetChanges, type ExtraEvent, type SubnetWatchState } from './drift.js';

/** What the poll carries from one cycle to the next; built once by `createPollState`. */
export interface PollState extends GateState {
  tracker: PublishTracker;
  /** Keyset cursor: the last id of a full page, 0 at the start of a sweep. */
  cursor: number;
  /** Pending rows counted so far in this sweep. */
  sweepPending: number;
  /** Smallest row version (ms) seen so far in this sweep; Infinity when none. */
  sweepOldest: number;
  nextNodeRefreshAt: number;
  wasLeader: boolean;
  lastPublishFailure: string | undefined;
  /** node_table's live names at the last refresh: what rows' node names route to (the identity rule). */
  nodes: string[];
  subnets: SubnetWatchState;
}

export function createPollState(resendAfterMs: number): PollState {
  const tracker = new PublishTracker(resendAfterMs);
  return {
    ...createGateState(tracker), cursor: 0, sweepPending: 0, sweepOldest: Infinity, nextNodeRefreshAt: 0, wasLeader: false, lastPublishFailure: undefined,
    nodes: [], subnets: { fingerprint: null, snapshot: null },
  };
}

/** What one cycle did, for tests and the benchmark. */
export interface CycleResult {
  active: boolean;
  rows: number;
  published: number;
  failed: number;
  malformed: number;
  /** Rows mapped and validated this cycle; the others were recognised by the tracker as already handled. */
  validated: number;
}

interface Work {
  candidate: Candidate;
  data: InterfaceEventData;
  /** Why it is published (the metric's `reason`): the tracker's decision, or `moved` / `subnet` for extra events. */
  decision: Decision | ExtraEvent['reason'];
  /** The row's raw key, for the tracker; null for an extra event, which is not the row's own and is not tracked. */
  rawKey: string | null;
  /** Set once the broker confirmed it. */
  sent?: boolean;
}

const extraWork = (e: ExtraEvent): Work => ({
  candidate: { portId: e.data.portId, type: e.type, generation: e.data.generation, digest: contentDigest(e.data) },
  data: e.data,
  decision: e.reason,
  rawKey: null,
});

/**
 * The raw row's identity for the tracker: deletion state, version and every column the
 * event (and its validity) is built from, as read. Equal keys mean an equal event, so a
 * row published (or reported malformed) with this key need not be mapped and validated
 * again — most pending rows, every cycle, until the agent writes back.
 */
export function rawRowKey(row: InterfaceRowWithSubnet): string {
  return JSON.stringify([
    rowDeleted(row) ? 1 : 0, rowGeneration(row), row.attached_node_name, row.macaddress, row.subnet_id, row.subnet_name,
    row.cidr, row.network_id, row.address, row.mtu, row.cr_namespace, row.cr_name,
  ]);
}

/**
 * One publisher cycle, a function of (ports, state) that the interval trigger invokes:
 * check leadership; refresh node queues when due; read one page of pending rows with the
 * one indexed query; turn each into an event (malformed rows reported once and skipped);
 * publish what the tracker says is new, changed or due for a resend, and record only what
 * the broker confirmed. A failure of the query or the lock throws (the trigger logs it
 * and the next cycle retries); a failed publish is counted and retried next cycle.
 */
export async function pollOnce(ports: PublisherPorts, state: PollState): Promise<CycleResult> {
  const { log, metrics, settings } = ports;
  const result: CycleResult = { active: false, rows: 0, published: 0, failed: 0, malformed: 0, validated: 0 };
  const stopTimer = metrics.pollDuration.startTimer();
  try {
    const active = await ports.leader.ensure();
    metrics.leader.set(active ? 1 : 0);
    if (!active) {
      // Only the active replica speaks for the rows and queues: a standby's last values would be stale.
      metrics.oldestPendingAge.set(0);
      metrics.rowsWaiting.set({ reason: 'unknown_node' }, 0);
      metrics.rowsWaiting.set({ reason: 'unusable_queue' }, 0);
      metrics.unusableNodeQueues.set(0);
      // Another replica publishes meanwhile; what this one remembers is stale by the
      // time it takes over, and a resend then is cheaper than a missed event.
      state.tracker.clear();
      state.cursor = 0;
      state.sweepPending = 0;
      state.sweepOldest = Infinity;
      state.wasLeader = false;
      state.subnets = { fingerprint: null, snapshot: null };
      markPoll(ports);
      return result;
    }
    result.active = true;
    if (!state.wasLeader) {
      state.wasLeader = true;
      state.nextNodeRefreshAt = 0;
    }
    const nowMs = ports.now().getTime();
    if (nowMs >= state.nextNodeRefreshAt) {
      const nodes = await ports.nodes.listNodes();
      state.knownNodes = new Set(nodes);
      await ports.broker.declareNodes(nodes);
      state.nextNodeRefreshAt = nowMs + settings.nodeRefreshMs;
      // A row reported unroutable (ambiguous) may route now: let it be checked again.
      if (nodes.join('\n') !== state.nodes.join('\n')) state.tracker.forgetMalformed();
      state.nodes = nodes;
    }

    const rows = await ports.rows.pendingAfter(state.cursor, settings.batchSize);
    result.rows = rows.length;
    const sweepDone = rows.length < settings.batchSize;
    state.cursor = sweepDone ? 0 : rows.at(-1)!.id;
    state.tracker.observe(rows.map((r) => r.port_id));

    const work: Work[] = [];
    for (const row of rows) {
      const rawKey = rawRowKey(row);
      if (state.tracker.skipsUnchanged(row.port_id, rawKey, nowMs)) continue;
      if (state.tracker.isReportedMalformed(row.port_id, rawKey)) {
        result.malformed++;
        continue;
      }
      result.validated++;
      // A live row on a soft-deleted subnet that is not configured needs nothing.
      if (rowDeleted(row) && row.deleted_at === null && row.netplan_success === 0) continue;
      const data = routed(interfaceDataFromRow(row), state.nodes);
      if (isInvalid(data)) {
        result.malformed++;
        if (state.tracker.shouldReportMalformed(row.port_id, rawKey)) {
          metrics.malformed.inc();
          log.warn({ portId: row.port_id, node: row.attached_node_name, reason: data.error }, `skipping malformed row of port ${JSON.stringify(row.port_id)}: ${data.error}`);
        }
        continue;
      }
      const candidate: Candidate = { portId: data.portId, type: rowDeleted(row) ? EventType.Detach : EventType.Attach, generation: data.generation, digest: contentDigest(data) };
      const decision = state.tracker.decide(candidate, nowMs);
      if (decision !== Decision.Skip) work.push({ candidate, data, decision, rawKey });
    }

    const toPublish = await gateWork(ports, state, await withoutKnownFailures(ports, work), nowMs);
    const attaches = toPublish.filter((w) => w.candidate.type === EventType.Attach).map((w) => w.data);
    const moved = (await moveDetaches(ports, attaches, state.nodes)).map(extraWork);
    const subnets = ports.subnets ? await subnetChanges(ports.subnets, state.subnets, state.nodes) : null;
    const subnetWork = (subnets?.events ?? []).map(extraWork);
    await publishAll(ports, state, [...moved, ...toPublish, ...subnetWork], result);
    if (subnets && subnetWork.every((w) => w.sent)) subnets.commit();

    state.sweepPending += rows.length;
    for (const row of rows) state.sweepOldest = Math.min(state.sweepOldest, rowGeneration(row));
    if (sweepDone) {
      metrics.pending.set(state.sweepPending);
      metrics.oldestPendingAge.set(Number.isFinite(state.sweepOldest) ? Math.max(0, nowMs - state.sweepOldest) / 1000 : 0);
      state.sweepPending = 0;
      state.sweepOldest = Infinity;
      state.tracker.completeSweep();
    }
    markPoll(ports);
    return result;
  } finally {
    stopTimer();
  }
}

/** The row's data routed to node_table's spelling of its node (the identity rule), or why it cannot be routed. */
function routed(data: InterfaceEventData | Invalid, nodes: readonly string[]): InterfaceEventData | Invalid {
  if (isInvalid(data)) return data;
  const node = routeNode(data.nodeName, nodes);
  return isInvalid(node) ? node : { ...data, nodeName: node };
}

/** A cycle ended without throwing (active or standing by): what the `PublisherPollStalled` alert watches. */
function markPoll(ports: PublisherPorts): void {
  ports.metrics.lastSuccess.set({ operation: 'poll' }, ports.now().getTime() / 1000);
}

/** Drops resends the agent already recorded as failed for this generation and content: they would only dead-letter again. */
async function withoutKnownFailures(ports: PublisherPorts, work: Work[]): Promise<Work[]> {
  const resends = work.filter((w) => w.decision === Decision.Resend);
  if (resends.length === 0) return work;
  const failed = await ports.outcomes.failedAmong(resends.map((w) => w.candidate.portId));
  if (failed.length === 0) return work;
  const dead = new Set(failed.map((f) => `${f.portId}|${f.generation}|${f.contentDigest}`));
  return work.filter((w) => {
    const skip = w.decision === Decision.Resend && dead.has(`${w.candidate.portId}|${w.candidate.generation}|${w.candidate.digest}`);
    if (skip) {
      ports.metrics.skippedFailed.inc();
      ports.log.debug({ portId: w.candidate.portId, generation: w.candidate.generation }, 'not resending: the agent recorded this generation as failed');
    }
    return !skip;
  });
}

async function publishAll(ports: PublisherPorts, state: PollState, work: Work[], result: CycleResult): Promise<void> {
  if (work.length === 0) return;
  const { broker, leader, log, metrics, settings } = ports;
  const failures = new Map<string, number>();
  await Promise.all(
    work.map(async ({ candidate, data, decision, rawKey }, index) => {
      // The lock connection may drop during a cycle: stop at once, the other replica takes over.
      if (!leader.isLeader()) return;
      const event = buildEvent(candidate.type, data, { source: settings.source, now: ports.now });
      try {
        await broker.publish(event);
      } catch (err) {
        result.failed++;
        metrics.publishFailures.inc();
        const reason = reasonOf(err);
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
        return;
      }
      if (rawKey !== null) state.tracker.recordSent(candidate, ports.now().getTime(), rawKey);
      work[index]!.sent = true;
      result.published++;
      metrics.published.inc({ type: candidate.type === EventType.Attach ? 'attach' : 'detach', reason: decision });
      metrics.lastSuccess.set({ operation: 'publish' }, ports.now().getTime() / 1000);
      log.info(
        { eventId: event.id, type: event.type, node: data.nodeName, portId: data.portId, generation: data.generation, reason: decision },
        `published ${candidate.type === EventType.Attach ? 'attach' : 'detach'} of port ${data.portId} to node ${data.nodeName}`,
      );
    }),
  );
  if (failures.size === 0) {
    if (state.lastPublishFailure !== undefined) log.info('publishing works again');
    state.lastPublishFailure = undefined;
    return;
  }
  const summary = [...failures].map(([reason, n]) => `${n} x ${reason}`).join('; ');
  const key = [...failures.keys()].sort().join('|');
  if (key !== state.lastPublishFailure) log.warn({ failed: result.failed }, `events not confirmed by RabbitMQ, retrying next cycle: ${summary}`);
  state.lastPublishFailure = key;
}
