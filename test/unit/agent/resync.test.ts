import { expect } from 'chai';
import { RESYNC_SOURCE, resyncNode } from '../../../src/agent/resync.js';
import { configuredFrom, GEN, interfaceData, rowFor } from '../../helpers/builders.js';
import { FakeHost, FakeStore, fakePorts } from '../../helpers/fakes.js';

describe('agent resync', () => {
  it('configures a live row missing on the host (origin /multinic/resync) and marks it', async () => {
    const a = interfaceData();
    const { ports, host, store, nodes } = fakePorts({ store: new FakeStore([rowFor(a)]) });
    const s = await resyncNode(ports);
    expect(s.configured).to.deep.equal([a.portId]);
    expect(host.configured.get(a.portId)!.origin).to.equal(RESYNC_SOURCE);
    expect(store.rows.get(a.portId)!.netplanSuccess).to.equal(true);
    expect(nodes.last!.ready).to.equal(true);
    expect(nodes.patches.at(-1)!.force, 'resync forces the Node patch so a lost one heals').to.equal(true);
  });

  it('reads the host afresh: refresh() comes before the first listing', async () => {
    const { ports, host } = fakePorts({ store: new FakeStore([rowFor(interfaceData())]) });
    await resyncNode(ports);
    expect(host.reads.slice(0, 2)).to.deep.equal(['refresh', 'listConfigured']);
  });

  it('reconfigures drift (host content differs from the row)', async () => {
    const a = interfaceData({ mtu: 9000 });
    const host = new FakeHost([configuredFrom({ ...a, mtu: 1500 }, 'multinic0')]);
    const { ports } = fakePorts({ store: new FakeStore([rowFor(a, { netplanSuccess: true })]), host });
    const s = await resyncNode(ports);
    expect(s.configured).to.deep.equal([a.portId]);
    expect(host.configured.get(a.portId)!.mtu).to.equal(9000);
  });

  it('only fixes netplan_success when the host already agrees (no apply)', async () => {
    const a = interfaceData();
    const host = new FakeHost([configuredFrom(a, 'multinic0')]);
    const { ports, store } = fakePorts({ store: new FakeStore([rowFor(a)]), host });
    const s = await resyncNode(ports);
    expect(s.marked).to.deep.equal([a.portId]);
    expect(host.applies).to.equal(0);
    expect(store.rows.get(a.portId)!.netplanSuccess).to.equal(true);
  });

  it('removes the file of a deleted row and sets netplan_success=0', async () => {
    const a = interfaceData();
    const host = new FakeHost([configuredFrom(a, 'multinic0')]);
    const { ports, store } = fakePorts({ store: new FakeStore([rowFor(a, { deleted: true, netplanSuccess: true })]), host });
    const s = await resyncNode(ports);
    expect(s.removed).to.deep.equal([a.portId]);
    expect(host.configured.size).to.equal(0);
    expect(store.rows.get(a.portId)!.netplanSuccess).to.equal(false);
  });

  it('removes the file of a port moved to another node without touching that row', async () => {
    const a = interfaceData();
    const store = new FakeStore([rowFor({ ...a, nodeName: 'worker-2', generation: GEN + 1 }, { netplanSuccess: true })]);
    const host = new FakeHost([configuredFrom(a, 'multinic0')]);
    const { ports } = fakePorts({ store, host });
    const s = await resyncNode(ports);
    expect(s.removed).to.deep.equal([a.portId]);
    expect(store.rows.get(a.portId)!.netplanSuccess).to.equal(true);
  });

  it('keeps an external-origin file with no row, removes a publisher-origin one whose row is gone', async () => {
    const ext = interfaceData();
    const gone = interfaceData();
    const host = new FakeHost([configuredFrom(ext, 'multinic0', '/tools/openstack-hook'), configuredFrom(gone, 'multinic1', '/multinic/publisher')]);
    const { ports } = fakePorts({ host });
    const s = await resyncNode(ports);
    expect(s.kept).to.deep.equal([ext.portId]);
    expect(s.removed).to.deep.equal([gone.portId]);
    expect([...host.configured.keys()]).to.deep.equal([ext.portId]);
  });

  it('an unknown node (a wrong name) touches nothing on the host or in the database', async () => {
    const a = interfaceData();
    const store = new FakeStore([rowFor(a)]);
    store.nodeNames = [];
    const host = new FakeHost([configuredFrom(interfaceData(), 'multinic0', '/multinic/publisher')]);
    const { ports, nodes } = fakePorts({ store, host });
    const s = await resyncNode(ports);
    expect(s.skipped).to.match(/no node named/);
    expect(host.calls).to.deep.equal([]);
    expect(store.calls.filter((c) => c.startsWith('mark') || c === 'recordOutcome')).to.deep.equal([]);
    expect(nodes.last!.ready).to.equal(false);
  });

  it('a failed query touches nothing and throws', async () => {
    const store = new FakeStore([rowFor(interfaceData())]);
    store.failNext('listNodePorts');
    const host = new FakeHost([configuredFrom(interfaceData(), 'multinic0', '/multinic/publisher')]);
    const { ports, nodes } = fakePorts({ store, host });
    let thrown: unknown;
    await resyncNode(ports).catch((e: unknown) => (thrown = e));
    expect(thrown).to.be.instanceOf(Error);
    expect(host.calls).to.deep.equal([]);
    expect(host.configured.size).to.equal(1);
    expect(nodes.patches).to.have.length(0);
  });

  it('a failure on one port is recorded for it and the others still proceed', async () => {
    const a = interfaceData();
    const b = interfaceData();
    const store = new FakeStore([rowFor(a), rowFor(b)]);
    const host = new FakeHost();
    const { ports, nodes } = fakePorts({ store, host });
    const configure = host.configure.bind(host);
    host.configure = async (data, origin) => {
      if (data.portId === a.portId) throw new Error('NIC never appeared');
      return configure(data, origin);
    };
    const s = await resyncNode(ports);
    expect(s.failed.map((f) => f.portId)).to.deep.equal([a.portId]);
    expect(s.configured).to.deep.equal([b.portId]);
    expect(store.outcomes.find((o) => o.portId === a.portId)).to.include({ outcome: 'failed' });
    expect(nodes.last!.lastError).to.include('NIC never appeared');
  });

  it('an invalid live row is left alone, its file too', async () => {
    const a = interfaceData();
    const host = new FakeHost([configuredFrom(a, 'multinic0')]);
    const { ports } = fakePorts({ store: new FakeStore([{ ...rowFor(a), data: { error: 'bad cidr' } }]), host });
    const s = await resyncNode(ports);
    expect(host.calls).to.deep.equal([]);
    expect(s.state!.lastError).to.include('bad cidr');
  });
});
