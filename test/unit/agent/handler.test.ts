import { expect } from 'chai';
import { handleInterfaceEvent, staleReason } from '../../../src/agent/handler.js';
import { attachEvent, configuredFrom, detachEvent, GEN, interfaceData, rowFor } from '../../helpers/builders.js';
import { FakeHost, FakeStore, fakePorts } from '../../helpers/fakes.js';

describe('agent handler', () => {
  describe('stale detection', () => {
    const data = interfaceData();
    const attach = attachEvent(data);
    /** node_table knows both workers: a row naming worker-2 is positive evidence that the port left. */
    const known = { thisNode: 'worker-1', nodeTable: ['worker-1', 'worker-2'] };

    it('applies an attach of the row generation with the row content', () => {
      expect(staleReason(attach, rowFor(data), 'worker-1')).to.equal(null);
    });
    it('drops an attach older than the row', () => {
      expect(staleReason(attach, rowFor({ ...data, generation: GEN + 1000 }), 'worker-1')).to.match(/older than the row/);
    });
    it('drops an attach for a deleted row', () => {
      expect(staleReason(attach, rowFor(data, { deleted: true }), 'worker-1')).to.match(/row is deleted/);
    });
    it('drops an attach for a row now attached to another node', () => {
      const moved = { ...data, nodeName: 'worker-2', generation: GEN + 1000 };
      expect(staleReason(attach, rowFor(moved), known)).to.match(/now attached to "worker-2"/);
    });
    it('drops an attach of the same generation whose content differs from the row', () => {
      expect(staleReason(attach, rowFor({ ...data, address: '192.168.100.250' }), 'worker-1')).to.match(/the row wins/);
    });
    it('applies an attach newer than the row', () => {
      expect(staleReason(attachEvent({ ...data, generation: GEN + 5 }), rowFor(data), 'worker-1')).to.equal(null);
    });
    it('drops a detach of a row that is live again at the same or a later generation', () => {
      const detach = detachEvent(data);
      expect(staleReason(detach, rowFor(data), 'worker-1')).to.match(/live again/);
      expect(staleReason(detach, rowFor({ ...data, generation: GEN + 1 }), 'worker-1')).to.match(/live again/);
    });
    it('applies a detach of a deleted row, of a row live on another node, and of a port with no row', () => {
      const detach = detachEvent(data);
      expect(staleReason(detach, rowFor(data, { deleted: true }), 'worker-1')).to.equal(null);
      expect(staleReason(detach, rowFor({ ...data, nodeName: 'worker-2', generation: GEN + 1 }), known)).to.equal(null);
      expect(staleReason(detach, undefined, 'worker-1')).to.equal(null);
    });
  });

  it('attach: configures, patches the Node from the whole state, writes netplan_success, records the outcome, in that order', async () => {
    const data = interfaceData();
    const { ports, store, host, nodes } = fakePorts({ store: new FakeStore([rowFor(data)]) });
    const outcome = await handleInterfaceEvent(attachEvent(data), ports);
    expect(outcome.result).to.equal('configured');
    expect(outcome.interfaceName).to.equal('multinic0');
    expect(host.applies).to.equal(1);
    expect(store.rows.get(data.portId)!.netplanSuccess).to.equal(true);
    expect(store.calls).to.deep.equal(['getPort', 'listNodePorts', 'markConfigured', 'recordOutcome']);
    expect(nodes.last!.interfaces.map((i) => i.portId)).to.deep.equal([data.portId]);
    expect(nodes.last!.ready).to.equal(true);
    expect(store.outcomes[0]).to.include({ portId: data.portId, outcome: 'configured', interfaceName: 'multinic0', eventId: attachEvent(data).id });
  });

  it('a duplicate attach costs no apply and still acks with the same write-back', async () => {
    const data = interfaceData();
    const { ports, host, store } = fakePorts({ store: new FakeStore([rowFor(data)]) });
    await handleInterfaceEvent(attachEvent(data), ports);
    const again = await handleInterfaceEvent(attachEvent(data), ports);
    expect(again.result).to.equal('unchanged');
    expect(host.applies).to.equal(1);
    expect(store.rows.get(data.portId)!.netplanSuccess).to.equal(true);
  });

  it('a stale event touches neither host, database nor Node', async () => {
    const data = interfaceData();
    const { ports, host, store, nodes } = fakePorts({ store: new FakeStore([rowFor({ ...data, generation: GEN + 1000 })]) });
    const outcome = await handleInterfaceEvent(attachEvent(data), ports);
    expect(outcome.result).to.equal('stale');
    expect(host.calls).to.deep.equal([]);
    expect(store.calls).to.deep.equal(['getPort']);
    expect(nodes.patches).to.have.length(0);
    expect(outcome.detail).to.match(/older than the row's/);
  });

  it('an event for a port with no row is applied and shown in the annotation; multi_interface is not written', async () => {
    const data = interfaceData();
    const { ports, host, store, nodes } = fakePorts();
    const outcome = await handleInterfaceEvent(attachEvent(data, '/tools/openstack-hook'), ports);
    expect(outcome.result).to.equal('configured');
    expect(host.configured.get(data.portId)!.origin).to.equal('/tools/openstack-hook');
    expect(store.calls).to.not.include('markConfigured');
    expect(nodes.last!.interfaces.map((i) => i.portId)).to.deep.equal([data.portId]);
  });

  it('an attach naming the node by its Kubernetes name writes back against the database name', async () => {
    const data = interfaceData({ nodeName: 'worker-1.novalocal' });
    const { ports, store, nodes } = fakePorts({ store: new FakeStore([rowFor(data)]), node: { kubeName: 'worker-1', dbName: 'worker-1.novalocal' } });
    await handleInterfaceEvent(attachEvent({ ...data, nodeName: 'worker-1' }), ports);
    expect(store.rows.get(data.portId)!.netplanSuccess).to.equal(true);
    expect(nodes.patches[0]!.node).to.equal('worker-1');
  });

  it('attach whose row changed meanwhile leaves netplan_success alone', async () => {
    const data = interfaceData();
    const store = new FakeStore([rowFor(data)]);
    const { ports } = fakePorts({ store });
    const original = store.markConfigured.bind(store);
    store.markConfigured = async (applied) => {
      store.rows.get(data.portId)!.generation = GEN + 1000; // an operator edits the row while we apply
      return original(applied);
    };
    const outcome = await handleInterfaceEvent(attachEvent(data), ports);
    expect(outcome.detail).to.match(/row changed meanwhile/);
    expect(store.rows.get(data.portId)!.netplanSuccess).to.equal(false);
  });

  it('detach: removes the file, patches, sets netplan_success=0, records removed', async () => {
    const data = interfaceData();
    const store = new FakeStore([rowFor(data, { deleted: true, netplanSuccess: true })]);
    const host = new FakeHost([configuredFrom(data, 'multinic0')]);
    const { ports, nodes } = fakePorts({ store, host });
    const outcome = await handleInterfaceEvent(detachEvent(data), ports);
    expect(outcome).to.include({ result: 'removed', interfaceName: 'multinic0' });
    expect(host.configured.size).to.equal(0);
    expect(store.rows.get(data.portId)!.netplanSuccess).to.equal(false);
    expect(nodes.last!.interfaces).to.deep.equal([]);
    expect(store.outcomes.at(-1)!.outcome).to.equal('removed');
  });

  it('a moved port: the old node removes its file without touching the new node\'s netplan_success', async () => {
    const data = interfaceData();
    const moved = { ...data, nodeName: 'worker-2', generation: GEN + 1000 };
    const store = new FakeStore([rowFor(moved, { netplanSuccess: true })]);
    const host = new FakeHost([configuredFrom(data, 'multinic0')]);
    const { ports } = fakePorts({ store, host });
    expect((await handleInterfaceEvent(attachEvent(data), ports)).result).to.equal('stale');
    const outcome = await handleInterfaceEvent(detachEvent(data), ports);
    expect(outcome.result).to.equal('removed');
    expect(store.rows.get(data.portId)!.netplanSuccess).to.equal(true);
  });

  it('a failure after the apply propagates, and the retry costs no second apply', async () => {
    const data = interfaceData();
    const { ports, host, nodes, store } = fakePorts({ store: new FakeStore([rowFor(data)]) });
    nodes.failNext();
    let thrown: unknown;
    await handleInterfaceEvent(attachEvent(data), ports).catch((e: unknown) => (thrown = e));
    expect(thrown).to.be.instanceOf(Error);
    expect(store.rows.get(data.portId)!.netplanSuccess).to.equal(false);
    const retry = await handleInterfaceEvent(attachEvent(data), ports);
    expect(retry.result).to.equal('unchanged');
    expect(host.applies).to.equal(1);
    expect(store.rows.get(data.portId)!.netplanSuccess).to.equal(true);
  });
});
