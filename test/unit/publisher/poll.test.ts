import { expect } from 'chai';
import { contentDigest } from '../../../src/events/build.js';
import { interfaceDataFromRow } from '../../../src/model/row-data.js';
import { EventType, type InterfaceEventData } from '../../../src/events/types.js';
import { validateEvent } from '../../../src/events/validate.js';
import { createPollState, pollOnce, rawRowKey } from '../../../src/publisher/poll.js';
import { fakePorts, pendingRow } from './fakes.js';

const RESEND = 60_000;

describe('pollOnce', () => {
  it('publishes one valid attach event per pending row, declaring node queues first', async () => {
    const { ports, state } = fakePorts();
    state.nodes = ['node-0', 'node-1', 'idle-node'];
    state.rows = [pendingRow(1), pendingRow(2)];
    const result = await pollOnce(ports, createPollState(RESEND));
    expect(result).to.include({ active: true, rows: 2, published: 2, malformed: 0 });
    expect([...state.declared].sort()).to.deep.equal(['idle-node', 'node-0', 'node-1']);
    for (const e of state.published) {
      expect(() => validateEvent(e)).to.not.throw();
      expect(e).to.include({ type: EventType.Attach, source: '/multinic/publisher' });
    }
  });

  it('publishes a detach for a deleted row that is still configured', async () => {
    const { ports, state } = fakePorts();
    state.rows = [pendingRow(1, { deleted_at: new Date(2_000_000), netplan_success: 1 })];
    await pollOnce(ports, createPollState(RESEND));
    expect(state.published.map((e) => e.type)).to.deep.equal([EventType.Detach]);
  });

  it('never declares a queue for a node missing from node_table: its rows wait, logged once, and go once it appears', async () => {
    const { ports, state, records } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1, { attached_node_name: 'new-node' }), pendingRow(2)];
    await pollOnce(ports, poll);
    await pollOnce(ports, poll);
    expect(state.published.map((e) => e.data.nodeName)).to.deep.equal(['node-0']);
    expect(state.declared.has('new-node')).to.equal(false);
    expect(records().filter((r) => String(r.msg).includes('"new-node"') && String(r.msg).includes('node_table has no such node'))).to.have.length(1);
    state.nodes.push('new-node');
    state.nowMs += 30_000;
    await pollOnce(ports, poll);
    expect(state.published.map((e) => e.data.nodeName)).to.deep.equal(['node-0', 'new-node']);
  });

  it('resends a still-pending row only when its node queue holds no message: one copy per generation whatever the downtime', async () => {
    const { ports, state } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1)];
    await pollOnce(ports, poll);
    state.depths.set('node-1', { messages: 1, consumers: 0 });
    for (let i = 0; i < 100; i++) {
      state.nowMs += RESEND;
      await pollOnce(ports, poll);
    }
    expect(state.published).to.have.length(1);
    expect(state.depthChecks).to.equal(100);
    state.depths.set('node-1', { messages: 0, consumers: 1 });
    state.nowMs += RESEND;
    await pollOnce(ports, poll);
    expect(state.published).to.have.length(2);
  });

  it('does not publish an unchanged row again, but does after resendAfter or a change', async () => {
    const { ports, state } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1)];
    await pollOnce(ports, poll);
    await pollOnce(ports, poll);
    expect(state.published).to.have.length(1);
    state.nowMs += RESEND;
    await pollOnce(ports, poll);
    expect(state.published).to.have.length(2);
    state.rows = [pendingRow(1, { mtu: 9000 })];
    await pollOnce(ports, poll);
    expect(state.published).to.have.length(3);
    expect(state.published[2]!.data.mtu).to.equal(9000);
  });

  it('retries a publish the broker did not confirm, logging the failure once', async () => {
    const { ports, state, records } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1)];
    state.publishError = new Error('timeout');
    const first = await pollOnce(ports, poll);
    await pollOnce(ports, poll);
    expect(first.failed).to.equal(1);
    expect(records().filter((r) => String(r.msg).includes('not confirmed'))).to.have.length(1);
    state.publishError = undefined;
    await pollOnce(ports, poll);
    expect(state.published).to.have.length(1);
  });

  it('reports a malformed row once and still publishes the others', async () => {
    const { ports, state, records } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1, { macaddress: 'zz' }), pendingRow(2)];
    await pollOnce(ports, poll);
    await pollOnce(ports, poll);
    const warnings = records().filter((r) => r.portId === 'port-1');
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.reason).to.match(/MAC "zz"/);
    expect(state.published.map((e) => e.data.portId)).to.deep.equal(['port-2']);
  });

  it('validates only rows that may be published: a row already sent or reported is recognised from its raw columns', async () => {
    const { ports, state, records } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1), pendingRow(2, { macaddress: 'zz' })];
    expect(await pollOnce(ports, poll)).to.include({ validated: 2, published: 1, malformed: 1 });
    expect(await pollOnce(ports, poll)).to.include({ validated: 0, published: 0, malformed: 1 });
    state.nowMs += RESEND;
    expect(await pollOnce(ports, poll)).to.include({ validated: 1, published: 1, malformed: 1 });
    state.rows = [pendingRow(1, { address: '10.0.0.7' }), pendingRow(2, { macaddress: 'zy' })];
    expect(await pollOnce(ports, poll)).to.include({ validated: 2, published: 1, malformed: 1 });
    expect(records().filter((r) => r.portId === 'port-2')).to.have.length(2);
  });

  it('rawRowKey differs for a change of any column the event is built from', () => {
    const base = rawRowKey(pendingRow(1));
    expect(rawRowKey(pendingRow(1))).to.equal(base);
    const changes: Array<Partial<Parameters<typeof pendingRow>[1]>> = [
      { deleted_at: new Date(5) }, { modified_at: new Date(2_000_000) }, { attached_node_name: 'other' }, { macaddress: 'fa:16:3e:00:00:99' },
      { subnet_id: 's2' }, { subnet_name: 'n2' }, { cidr: '10.1.0.0/24' }, { network_id: 'net2' }, { address: '10.0.0.5' }, { mtu: 1400 },
      { cr_namespace: 'ns' }, { cr_name: 'cr' }, { address: 'null' },
    ];
    for (const over of changes) expect(rawRowKey(pendingRow(1, over)), JSON.stringify(over)).to.not.equal(base);
  });

  it('publishes nothing while standing by, and stops at once when leadership is lost mid-cycle', async () => {
    const { ports, state } = fakePorts();
    state.rows = [pendingRow(1), pendingRow(2), pendingRow(3)];
    state.leader = false;
    expect((await pollOnce(ports, createPollState(RESEND))).active).to.equal(false);
    expect(state.queries).to.equal(0);
    state.leader = true;
    state.loseLeadershipOnPublish = true;
    await pollOnce(ports, createPollState(RESEND));
    expect(state.published.length).to.be.at.most(1);
  });

  it('pages through more pending rows than one batch and forgets settled rows only after a full sweep', async () => {
    const { ports, state } = fakePorts({ batchSize: 2 });
    const poll = createPollState(RESEND);
    state.rows = [1, 2, 3, 4, 5].map((i) => pendingRow(i));
    for (let i = 0; i < 3; i++) await pollOnce(ports, poll);
    expect(state.published.map((e) => e.data.portId).sort()).to.deep.equal(['port-1', 'port-2', 'port-3', 'port-4', 'port-5']);
    state.rows = [pendingRow(5)];
    await pollOnce(ports, poll);
    expect(poll.tracker.size).to.equal(1);
  });

  it('skips resending a generation the agent recorded as failed', async () => {
    const { ports, state } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1)];
    await pollOnce(ports, poll);
    const data = interfaceDataFromRow(state.rows[0]!) as InterfaceEventData;
    state.failed = [{ portId: 'port-1', generation: data.generation, contentDigest: contentDigest(data) }];
    state.nowMs += RESEND;
    await pollOnce(ports, poll);
    expect(state.published).to.have.length(1);
  });
});
