import type { EventType } from '../events/types.js';

/** What the publisher knows about one pending row this cycle. */
export interface Candidate {
  portId: string;
  type: EventType;
  generation: number;
  /** contentDigest of the event data. */
  digest: string;
}

/** Why a candidate is (or is not) published; also the metrics label. */
export const Decision = {
  /** Never published by this process. */
  New: 'new',
  /** Published before with another type, generation or content. */
  Changed: 'changed',
  /** Unchanged, but still pending `resendAfter` after it was published. */
  Resend: 'resend',
  /** Unchanged and published recently: nothing to do. */
  Skip: 'skip',
} as const;
export type Decision = (typeof Decision)[keyof typeof Decision];

interface Sent {
  type: EventType;
  generation: number;
  digest: string;
  at: number;
  /** The raw row's key (see `skipsUnchanged`) when the caller gave one. */
  rawKey?: string;
}

/**
 * Remembers what this process published (and when) so that an unchanged row is not
 * published twice, a changed one is published at once, and a row still pending after
 * `resendAfterMs` goes again in case the broker lost it. Pure: time is passed in, and
 * only `recordSent` — called after the broker confirmed — changes what was sent, so an
 * unconfirmed publish is retried next cycle. Memory is bounded by the pending rows:
 * a sweep over the whole pending set forgets the rows that settled.
 */
export class PublishTracker {
  private readonly sent = new Map<string, Sent>();
  private readonly reportedMalformed = new Map<string, string>();
  private sweepSeen = new Set<string>();

  constructor(private readonly resendAfterMs: number) {}

  /** Decides what to do with a pending row; does not change state. */
  decide(c: Candidate, nowMs: number): Decision {
    const s = this.sent.get(c.portId);
    if (!s) return Decision.New;
    if (s.type !== c.type || s.generation !== c.generation || s.digest !== c.digest) return Decision.Changed;
    return nowMs - s.at >= this.resendAfterMs ? Decision.Resend : Decision.Skip;
  }

  /**
   * True when this port was published from exactly this raw row (`rawKey`: every column
   * the event is built from, as read) and is not yet due for a resend: then `decide`
   * would answer Skip, and the caller need not map and validate the row to find out.
   */
  skipsUnchanged(portId: string, rawKey: string, nowMs: number): boolean {
    const s = this.sent.get(portId);
    return s !== undefined && s.rawKey === rawKey && nowMs - s.at < this.resendAfterMs;
  }

  /** Records a publish the broker confirmed; `rawKey` lets `skipsUnchanged` recognise the row next cycle. */
  recordSent(c: Candidate, nowMs: number, rawKey?: string): void {
    this.sent.set(c.portId, { type: c.type, generation: c.generation, digest: c.digest, at: nowMs, rawKey });
  }

  /**
   * Counts a due resend as done without publishing: the broker still holds a copy (the
   * node's queue is not empty), so the next look at this row is `resendAfterMs` from now.
   */
  postpone(portId: string, nowMs: number): void {
    const s = this.sent.get(portId);
    if (s) s.at = nowMs;
  }

  /**
   * True the first time a malformed row is seen with this (generation, content) key, so
   * its reason is logged once rather than every second; a change of the row reports again.
   */
  shouldReportMalformed(portId: string, key: string): boolean {
    if (this.isReportedMalformed(portId, key)) return false;
    this.reportedMalformed.set(portId, key);
    return true;
  }

  /** True when this exact malformed row (same key) was already reported: it need not be validated again. */
  isReportedMalformed(portId: string, key: string): boolean {
    return this.reportedMalformed.get(portId) === key;
  }

  /** Forgets which rows were reported malformed, so each is checked (and reported) again; e.g. after node_table changed. */
  forgetMalformed(): void {
    this.reportedMalformed.clear();
  }

  /** Notes ports seen pending in this sweep (valid or not). */
  observe(portIds: Iterable<string>): void {
    for (const p of portIds) this.sweepSeen.add(p);
  }

  /**
   * Ends a sweep that covered the whole pending set: every port not seen in it has
   * settled (or vanished) and is forgotten, so if it becomes pending again it is new.
   * Returns how many were forgotten.
   */
  completeSweep(): number {
    let forgotten = 0;
    for (const port of [...this.sent.keys()]) {
      if (!this.sweepSeen.has(port)) {
        this.sent.delete(port);
        forgotten++;
      }
    }
    for (const port of [...this.reportedMalformed.keys()]) if (!this.sweepSeen.has(port)) this.reportedMalformed.delete(port);
    this.sweepSeen = new Set();
    return forgotten;
  }

  /** Forgets everything, e.g. after losing leadership: another replica may have published meanwhile. */
  clear(): void {
    this.sent.clear();
    this.reportedMalformed.clear();
    this.sweepSeen = new Set();
  }

  /** Ports currently remembered as published. */
  get size(): number {
    return this.sent.size;
  }
}
