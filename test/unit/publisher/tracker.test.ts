import { expect } from 'chai';
import { EventType } from '../../../src/events/types.js';
import { Decision, PublishTracker, type Candidate } from '../../../src/publisher/tracker.js';

const RESEND = 60_000;
const c = (over: Partial<Candidate> = {}): Candidate => ({ portId: 'p1', type: EventType.Attach, generation: 1000, digest: 'd1', ...over });

describe('PublishTracker', () => {
  it('publishes a row it has never published', () => {
    expect(new PublishTracker(RESEND).decide(c(), 0)).to.equal(Decision.New);
  });

  it('does not publish an unchanged row twice before resendAfter', () => {
    const t = new PublishTracker(RESEND);
    t.recordSent(c(), 0);
    expect(t.decide(c(), 1_000)).to.equal(Decision.Skip);
    expect(t.decide(c(), RESEND - 1)).to.equal(Decision.Skip);
  });

  it('resends a still-pending row after resendAfter, then waits again', () => {
    const t = new PublishTracker(RESEND);
    t.recordSent(c(), 0);
    expect(t.decide(c(), RESEND)).to.equal(Decision.Resend);
    t.recordSent(c(), RESEND);
    expect(t.decide(c(), RESEND + 1)).to.equal(Decision.Skip);
  });

  it('republishes at once when generation, content or type changed', () => {
    const t = new PublishTracker(RESEND);
    t.recordSent(c(), 0);
    expect(t.decide(c({ generation: 2000 }), 1)).to.equal(Decision.Changed);
    expect(t.decide(c({ digest: 'd2' }), 1)).to.equal(Decision.Changed);
    expect(t.decide(c({ type: EventType.Detach }), 1)).to.equal(Decision.Changed);
  });

  it('skipsUnchanged only for the raw row it was sent from, and only until the resend is due', () => {
    const t = new PublishTracker(RESEND);
    expect(t.skipsUnchanged('p1', 'k1', 0)).to.equal(false);
    t.recordSent(c(), 0, 'k1');
    expect(t.skipsUnchanged('p1', 'k1', RESEND - 1)).to.equal(true);
    expect(t.skipsUnchanged('p1', 'k2', 1)).to.equal(false);
    expect(t.skipsUnchanged('p2', 'k1', 1)).to.equal(false);
    expect(t.skipsUnchanged('p1', 'k1', RESEND)).to.equal(false);
    t.recordSent(c(), 0);
    expect(t.skipsUnchanged('p1', 'k1', 1)).to.equal(false);
  });

  it('remembers a reported malformed row by its key until it changes', () => {
    const t = new PublishTracker(RESEND);
    expect(t.isReportedMalformed('p1', 'k1')).to.equal(false);
    expect(t.shouldReportMalformed('p1', 'k1')).to.equal(true);
    expect(t.isReportedMalformed('p1', 'k1')).to.equal(true);
    expect(t.shouldReportMalformed('p1', 'k1')).to.equal(false);
    expect(t.isReportedMalformed('p1', 'k2')).to.equal(false);
  });

  it('treats an unconfirmed publish as never sent', () => {
    const t = new PublishTracker(RESEND);
    t.decide(c(), 0);
    expect(t.decide(c(), 1)).to.equal(Decision.New);
  });

  it('forgets rows that are no longer pending after a complete sweep', () => {
    const t = new PublishTracker(RESEND);
    t.recordSent(c({ portId: 'settled' }), 0);
    t.recordSent(c({ portId: 'still' }), 0);
    t.observe(['still']);
    expect(t.completeSweep()).to.equal(1);
    expect(t.size).to.equal(1);
    expect(t.decide(c({ portId: 'settled' }), 1)).to.equal(Decision.New);
    expect(t.decide(c({ portId: 'still' }), 1)).to.equal(Decision.Skip);
  });

  it('reports a malformed row once per key and again when it changes', () => {
    const t = new PublishTracker(RESEND);
    expect(t.shouldReportMalformed('p1', 'k1')).to.equal(true);
    expect(t.shouldReportMalformed('p1', 'k1')).to.equal(false);
    expect(t.shouldReportMalformed('p1', 'k2')).to.equal(true);
  });

  it('clear() forgets everything (after losing leadership)', () => {
    const t = new PublishTracker(RESEND);
    t.recordSent(c(), 0);
    t.clear();
    expect(t.decide(c(), 1)).to.equal(Decision.New);
  });
});
