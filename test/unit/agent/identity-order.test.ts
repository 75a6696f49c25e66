import { expect } from 'chai';
import { interfaceEventParsing } from '../../../src/agent/delivery.js';
import { handleInterfaceEvent, staleReason } from '../../../src/agent/handler.js';
import { resyncNode } from '../../../src/agent/resync.js';
import { attachEvent, configuredFrom, detachEvent, GEN, interfaceData, rowFor } from '../../helpers/builders.js';
import { FakeHost, FakeStore, fakePorts } from '../../helpers/fakes.js';

const HOUR = 3_600_000;

/**
 * Issue 12 points 2 and 4 on the agent's side: removal only on positive evidence (a
 * spelling never wipes a node, an unknown node is reported and keeps the Node not ready),
 * and order by content rather than by a clock that can move backwards.
 */
describe('agent: a spelling never wipes a node', () => {
  it("the issue's input: node_table worker-1, rows rewritten to worker-1.novalocal -> nothing removed, no apply, ready stays consistent", async () => {
    const a = interfaceData();
    const b = interfaceData();
    const renamed = (d: typeof a) => rowFor({ ...d, nodeName: 'worker-1.novalocal' }, { netplanSuccess: true });
    const store = new FakeStore([renamed(a), renamed(b)]);
    store.nodeNames = ['worker-1'];
    const host = new FakeHost([configuredFrom(a, 'multinic0'), configuredFrom(b, 'multinic1')]);
    const { ports, nodes } = fakePorts({ store, host });
    const s = await resyncNode(ports);
    expect(s.removed).to.deep.equal([]);
    expect(host.applies).to.equal(0);
    expect(host.configured.size).to.equal(2);
    expect(nodes.last!.interfaces.map((i) => i.name)).to.deep.equal(['multinic0', 'multinic1']);
    expect(nodes.last!.ready).to.equal(true);
  });

  it('a row renamed to a node node_table does not know: file kept, reported, ready=false with the reason', async () => {
    const a = interfaceData();
    const store = new FakeStore([rowFor({ ...a, nodeName: 'worker-9' }, { netplanSuccess: true })]);
    store.nodeNames = ['worker-1', 'worker-2'];
    const host = new FakeHost([configuredFrom(a, 'multinic0')]);
    const { ports, nodes } = fakePorts({ store, host });
    const s = await resyncNode(ports);
    expect(s.removed).to.deep.equal([]);
    expect(host.configured.has(a.portId)).to.equal(true);
    expect(s.unaccounted).to.have.length(1);
    expect(s.unaccounted[0]).to.match(/"worker-9" is not in node_table/);
    expect(nodes.last!.ready).to.equal(false);
    expect(nodes.last!.lastError).to.match(/worker-9/);
    // and a later event's patch does not flip it back to ready
    const other = interfaceData();
    store.rows.set(other.portId, rowFor(other));
    await handleInterfaceEvent(attachEvent(other), ports);
    expect(nodes.last!.ready).to.equal(false);
  });

  it('a detach for a row that now names an unknown node is refused: nothing removed', async () => {
    const a = interfaceData();
    const store = new FakeStore([rowFor({ ...a, nodeName: 'worker-9', generation: GEN + 1 }, { netplanSuccess: true })]);
    const host = new FakeHost([configuredFrom(a, 'multinic0')]);
    const { ports } = fakePorts({ store, host });
    const outcome = await handleInterfaceEvent(detachEvent(a), ports);
    expect(outcome.result).to.equal('stale');
    expect(outcome.detail).to.match(/detach refused, nothing removed/);
    expect(host.configured.has(a.portId)).to.equal(true);
  });

  it('a row fitting two node_table names (worker-1.a / worker-1.b) is never guessed: not removed, not ready', async () => {
    const a = interfaceData({ nodeName: 'worker-1.a' });
    const store = new FakeStore([rowFor({ ...a, nodeName: 'worker-1' }, { netplanSuccess: true })]);
    store.nodeNames = ['worker-1.a', 'worker-1.b'];
    const host = new FakeHost([configuredFrom(a, 'multinic0')]);
    const { ports, nodes } = fakePorts({ store, host, node: { kubeName: 'worker-1', dbName: 'worker-1.a' } });
    const s = await resyncNode(ports);
    expect(s.removed).to.deep.equal([]);
    expect(host.configured.size).to.equal(1);
    expect(nodes.last!.ready).to.equal(false);
    expect(nodes.last!.lastError).to.match(/matches several node_table names \(worker-1.a, worker-1.b\)/);
  });

  it('an attach whose row spells this node differently is applied and written back against the row\'s spelling', async () => {
    const a = interfaceData({ nodeName: 'Worker-1.novalocal.' });
    const store = new FakeStore([rowFor(a)]);
    const { ports } = fakePorts({ store });
    const outcome = await handleInterfaceEvent(attachEvent({ ...a, nodeName: 'worker-1' }), ports);
    expect(outcome.result).to.equal('configured');
    expect(store.rows.get(a.portId)!.netplanSuccess).to.equal(true);
  });
});

describe('agent: events for its node under any spelling', () => {
  const { parse } = interfaceEventParsing({ acceptNodeNames: ['worker-1.novalocal', 'worker-1'], maxMessageBytes: 65536 });
  const body = (nodeName: string) => JSON.stringify(attachEvent(interfaceData({ nodeName })));
  it('accepts WORKER-1 and worker-1.novalocal, refuses worker-10 and worker-2.novalocal', () => {
    expect(parse(Buffer.from(body('WORKER-1'))).data.nodeName).to.equal('WORKER-1');
    expect(parse(Buffer.from(body('worker-1.novalocal'))).data.nodeName).to.equal('worker-1.novalocal');
    expect(() => parse(Buffer.from(body('worker-10')))).to.throw(/event is for node "worker-10"/);
    expect(() => parse(Buffer.from(body('worker-2.novalocal')))).to.throw(/event is for node/);
  });
});

describe('agent: order by content, not by the clock', () => {
  it('the issue\'s +09:00 / +00:00 writers: .12 (modified_at 9 h ahead) then .13 (back in time) -> .13 only, once', async () => {
    const base = interfaceData({ address: '192.168.100.12', generation: GEN + 9 * HOUR });
    const current = { ...base, address: '192.168.100.13', generation: GEN };
    const store = new FakeStore([rowFor(current)]);
    const { ports, host } = fakePorts({ store });
    const first = await handleInterfaceEvent(attachEvent(base), ports);
    expect(first.result).to.equal('stale');
    expect(first.detail).to.match(/not the row's current content/);
    expect((await handleInterfaceEvent(attachEvent(current), ports)).result).to.equal('configured');
    expect(host.configured.get(base.portId)!.address).to.equal('192.168.100.13');
    expect(host.applies).to.equal(1);
    expect(store.rows.get(base.portId)!.netplanSuccess).to.equal(true);
  });

  const cases: Array<[string, number]> = [
    ['a DST change (local-time DATETIME repeats an hour)', -HOUR],
    ['a clock step back by 10 minutes', -10 * 60_000],
    ['a clock step forward by a day', 24 * HOUR],
  ];
  for (const [what, shift] of cases) {
    it(`${what}: an event of other content is stale whatever its generation; the row's content applies`, () => {
      const row = interfaceData({ address: '192.168.100.20' });
      const old = { ...row, address: '192.168.100.21', generation: row.generation - shift };
      expect(staleReason(attachEvent(old), rowFor(row), 'worker-1')).to.match(/not the row's current content/);
      expect(staleReason(attachEvent(row), rowFor(row), 'worker-1')).to.equal(null);
    });
  }

  it('a detach older than a live row of this node is stale too (the row wins, whatever the clock said)', () => {
    const d = interfaceData({ generation: GEN + HOUR });
    expect(staleReason(detachEvent(d), rowFor({ ...d, generation: GEN }), 'worker-1')).to.match(/live again/);
  });

  it('external events (no row) are ordered by generation against what the host has from them', () => {
    const d = interfaceData();
    const configured = configuredFrom({ ...d, generation: GEN + 5 }, 'multinic0', '/tooling/x');
    expect(staleReason(attachEvent(d, '/tooling/x'), undefined, { thisNode: 'worker-1', configured })).to.match(/older than the generation/);
    expect(staleReason(attachEvent({ ...d, generation: GEN + 6 }, '/tooling/x'), undefined, { thisNode: 'worker-1', configured })).to.equal(null);
  });
});
