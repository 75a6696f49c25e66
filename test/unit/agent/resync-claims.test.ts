import { expect } from 'chai';
import { resyncNode } from '../../../src/agent/resync.js';
import { configuredFrom, interfaceData, rowFor } from '../../helpers/builders.js';
import { FakeHost, FakeStore, fakePorts } from '../../helpers/fakes.js';

/** Issue 11: resync reports a NIC another configuration claims later, and changes nothing. */
describe('agent resync: other owners of a NIC', () => {
  it('turns the Node not ready with the claim as last-error, and touches nothing', async () => {
    const a = interfaceData();
    const host = Object.assign(new FakeHost([configuredFrom(a, 'multinic0')]), {
      audit: async () => [{ portId: a.portId, name: 'multinic0', reason: 'multinic0 is also claimed by /etc/netplan/50-cloud-init.yaml (ens4) matches MAC' }],
    });
    const { ports, nodes } = fakePorts({ store: new FakeStore([rowFor(a, { netplanSuccess: true })]), host });
    const s = await resyncNode(ports);
    expect(s.claimed).to.deep.equal([{ portId: a.portId, reason: `port ${a.portId}: multinic0 is also claimed by /etc/netplan/50-cloud-init.yaml (ens4) matches MAC` }]);
    expect(nodes.last!.ready).to.equal(false);
    expect(nodes.last!.lastError).to.include('50-cloud-init.yaml');
    expect(host.calls).to.deep.equal([]);
    expect(host.applies).to.equal(0);
  });

  it('an audit that cannot run is logged and the Node is still patched', async () => {
    const a = interfaceData();
    const host = Object.assign(new FakeHost([configuredFrom(a, 'multinic0')]), { audit: async () => { throw new Error('netplan rejected 60-broken.yaml'); } });
    const { ports, nodes, records } = fakePorts({ store: new FakeStore([rowFor(a, { netplanSuccess: true })]), host });
    const s = await resyncNode(ports);
    expect(s.claimed).to.deep.equal([]);
    expect(nodes.last!.ready).to.equal(true);
    expect(records().some((r) => r.msg === 'resync could not check for other owners of the NICs')).to.equal(true);
  });
});
