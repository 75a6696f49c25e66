import { expect } from 'chai';
import { createRingLogger } from '../../../src/log/logger.js';
import { brokerGatedLeadership } from '../../../src/publisher/leadership.js';
import type { ReleasableLeadership } from '../../../src/model/publisher-ports.js';

/** A lock that any replica may take when free; `held` is whether this one holds it. */
function fakeLock() {
  const s = { held: false, free: true, releases: 0, ensures: 0 };
  const lock: ReleasableLeadership = {
    async ensure() {
      s.ensures++;
      if (!s.held && s.free) s.held = true;
      return s.held;
    },
    isLeader: () => s.held,
    async release() {
      s.held = false;
      s.releases++;
    },
  };
  return { lock, s };
}

describe('brokerGatedLeadership', () => {
  it('gives the lock up after the broker has been away for the grace period, not before', async () => {
    const { lock, s } = fakeLock();
    let connected = true;
    let t = 0;
    const { log, records } = createRingLogger();
    const leader = brokerGatedLeadership(lock, { brokerConnected: () => connected, graceMs: 30_000, now: () => t, log });
    expect(await leader.ensure()).to.equal(true);
    connected = false;
    t = 1_000;
    expect(await leader.ensure()).to.equal(true);
    t = 30_999;
    expect(await leader.ensure()).to.equal(true);
    t = 31_000;
    expect(await leader.ensure()).to.equal(false);
    expect(s.releases).to.equal(1);
    expect(leader.role()).to.equal('no-broker');
    expect(records().filter((r) => String(r.msg).includes('PUBLISHER_BROKER_GRACE'))).to.have.length(1);
  });

  it('never takes the lock while the broker is away, and takes it once connected', async () => {
    const { lock, s } = fakeLock();
    let connected = false;
    const leader = brokerGatedLeadership(lock, { brokerConnected: () => connected, graceMs: 30_000, now: () => 0, log: createRingLogger().log });
    expect(await leader.ensure()).to.equal(false);
    expect(s.ensures).to.equal(0);
    connected = true;
    expect(await leader.ensure()).to.equal(true);
    expect(leader.role()).to.equal('active');
  });

  it('is a standby that says so when another replica holds the lock', async () => {
    const { lock, s } = fakeLock();
    s.free = false;
    const leader = brokerGatedLeadership(lock, { brokerConnected: () => true, graceMs: 30_000, now: () => 0, log: createRingLogger().log });
    expect(await leader.ensure()).to.equal(false);
    expect(leader.role()).to.equal('standby');
  });
});
