import { expect } from 'chai';
import { applyHostBatch, handleInterfaceEvents } from '../../../src/agent/batch-handler.js';
import { TransientError } from '../../../src/errors/errors.js';
import { attachEvent, detachEvent, GEN, interfaceData, rowFor } from '../../helpers/builders.js';
import { FakeHost, FakeStore, fakePorts } from '../../helpers/fakes.js';

const data = (i: number) => interfaceData({ portId: `7f3e2a10-0000-4000-8000-0000000002${String(i).padStart(2, '0')}`, macAddress: `fa:16:3e:00:02:${String(i).padStart(2, '0')}` });

describe('agent batch handler', () => {
  it('a burst of 8 attaches: one row query, one host batch with one apply, one Node patch, one outcome statement', async () => {
    const ds = Array.from({ length: 8 }, (_, i) => data(i));
    const { ports, store, host, nodes } = fakePorts({ store: new FakeStore(ds.map((d) => rowFor(d))) });
    const results = await handleInterfaceEvents(ds.map((d) => attachEvent(d)), ports);
    expect(results.map((r) => r.ok && r.value.result)).to.deep.equal(Array(8).fill('configured'));
    expect(host.batches).to.deep.equal([8]);
    expect(host.applies).to.equal(1);
    expect(nodes.patches).to.have.length(1);
    expect(nodes.last!.ready).to.equal(true);
    expect(store.calls).to.deep.equal(['getPorts', 'listNodePorts', 'markConfiguredMany', 'recordOutcomes']);
    for (const d of ds) expect(store.rows.get(d.portId)!.netplanSuccess).to.equal(true);
    expect(store.outcomes.map((o) => o.outcome)).to.deep.equal(Array(8).fill('configured'));
  });

  it('drops the stale events of a batch without handing them to the host, and handles the rest', async () => {
    const fresh = data(1);
    const old = data(2);
    const { ports, host, store } = fakePorts({ store: new FakeStore([rowFor(fresh), rowFor({ ...old, generation: GEN + 1000 })]) });
    const results = await handleInterfaceEvents([attachEvent(old), attachEvent(fresh)], ports);
    expect(results[0]).to.deep.include({ ok: true });
    expect(results[0]!.ok && results[0]!.value.result).to.equal('stale');
    expect(results[1]!.ok && results[1]!.value.result).to.equal('configured');
    expect(host.batches).to.deep.equal([1]);
    expect(store.outcomes.map((o) => o.portId)).to.deep.equal([fresh.portId]);
  });

  it('a batch of only stale events reads the rows once and touches nothing else', async () => {
    const d = data(1);
    const { ports, host, store, nodes } = fakePorts({ store: new FakeStore([rowFor({ ...d, generation: GEN + 1000 })]) });
    await handleInterfaceEvents([attachEvent(d)], ports);
    expect(store.calls).to.deep.equal(['getPorts']);
    expect(host.calls).to.deep.equal([]);
    expect(nodes.patches).to.have.length(0);
  });

  it('returns a change that failed alone as its own failure; the others are written back and recorded', async () => {
    const [a, b, c] = [data(1), data(2), data(3)];
    const host = new FakeHost();
    host.failPorts.set(b.portId, new TransientError('NIC not there yet'));
    const { ports, store } = fakePorts({ host, store: new FakeStore([a, b, c].map((d) => rowFor(d))) });
    const results = await handleInterfaceEvents([a, b, c].map((d) => attachEvent(d)), ports);
    expect(results.map((r) => r.ok)).to.deep.equal([true, false, true]);
    expect((results[1] as { error: Error }).error.message).to.equal('NIC not there yet');
    expect(store.rows.get(b.portId)!.netplanSuccess).to.equal(false);
    expect(store.outcomes.map((o) => o.portId)).to.deep.equal([a.portId, c.portId]);
  });

  it('attach and detach of different ports in one batch: one apply, each written back its own way', async () => {
    const live = data(1);
    const gone = data(2);
    const host = new FakeHost();
    await host.configure(gone, '/multinic/publisher');
    host.applies = 0;
    const { ports, store } = fakePorts({ host, store: new FakeStore([rowFor(live), rowFor(gone, { deleted: true, netplanSuccess: true })]) });
    const results = await handleInterfaceEvents([attachEvent(live), detachEvent(gone)], ports);
    expect(results.map((r) => r.ok && r.value.result)).to.deep.equal(['configured', 'removed']);
    expect(host.applies).to.equal(1);
    expect(store.rows.get(gone.portId)!.netplanSuccess).to.equal(false);
  });

  it('throws when the batch as a whole fails (the Node patch), so the trigger splits it', async () => {
    const d = data(1);
    const { ports, nodes } = fakePorts({ store: new FakeStore([rowFor(d)]) });
    nodes.failNext(new TransientError('Kubernetes API 503'));
    await handleInterfaceEvents([attachEvent(d)], ports).then(
      () => expect.fail('should have thrown'),
      (err: Error) => expect(err.message).to.equal('Kubernetes API 503'),
    );
  });

  it('drives a host without applyBatch one change at a time, keeping each failure as its result', async () => {
    const host = { configure: async () => ({ name: 'multinic0', changed: true }), remove: async () => Promise.reject(new Error('boom')), listConfigured: async () => [] };
    const results = await applyHostBatch(host, [{ op: 'configure', data: data(1), origin: 'o' }, { op: 'remove', portId: 'p' }]);
    expect(results[0]).to.deep.equal({ ok: true, name: 'multinic0', changed: true });
    expect(results[1]!.ok).to.equal(false);
  });
});
