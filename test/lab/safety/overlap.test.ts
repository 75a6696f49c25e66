import { expect } from 'chai';
import { RolledBackError } from '../../../src/errors/errors.js';
import { OverlapError } from '../../../src/host/overlap.js';
import { Lab, cidrsOf, type LabNode } from '../index.js';
import { labHost, port, rejection, snapshot, type LabHost } from './host.js';

/**
 * Issue 11 point 1, judged by the kernel of a lab node (real networkd, real netplan apply):
 * a port whose subnet would capture the node's traffic is refused, naming both, and the
 * node's routes and files are exactly as before.
 */
describe('lab: overlap refusal (issue 11)', function () {
  this.timeout(90_000);
  let lab: Lab;
  let node: LabNode;
  let h: LabHost;

  before(async () => {
    lab = await Lab.start({ tag: 'sf' });
    node = await lab.addNode({ name: 'worker-1', primary: { address: '10.0.0.5/24' } });
    await lab.switch.addAddress('10.20.0.1/24');
    // The IPv6 case: the primary also carries fd00:1::5/64 (its connected route comes with it).
    await node.exec(['ip', 'addr', 'add', 'fd00:1::5/64', 'dev', 'ens3', 'nodad']);
    h = await labHost(node, { apiServer: { host: '10.40.0.5', port: 6443 }, probes: [] });
  });
  after(async () => {
    await h?.close();
    await lab?.stop();
  });

  /** The kernel's routes and the netplan folder, to compare before and after a refusal. */
  async function state() {
    return { routes: JSON.stringify(await node.routes()), files: await snapshot(node.netplanDir), ens4: cidrsOf(await node.addrOf('ens4')) };
  }

  const cases: Array<{ what: string; cidr: string; address: string; names: RegExp[] }> = [
    {
      what: "the issue's case: 10.0.0.0/28 inside the primary's 10.0.0.5/24 with its default gateway",
      cidr: '10.0.0.0/28',
      address: '10.0.0.12',
      names: [/address 10\.0\.0\.5\/24 of ens3/, /route 10\.0\.0\.0\/24 dev ens3 proto kernel/, /the default gateway 10\.0\.0\.1 \(via ens3\)/],
    },
    { what: 'a subnet containing the primary (wider than its route)', cidr: '10.0.0.0/16', address: '10.0.200.1', names: [/address 10\.0\.0\.5\/24 of ens3/, /route 10\.0\.0\.0\/24 dev ens3/] },
    { what: 'IPv6: a /64 that is the primary\'s connected IPv6 route', cidr: 'fd00:1::/64', address: 'fd00:1::20', names: [/address fd00:1::5\/64 of ens3/, /route fd00:1::\/64 dev ens3 proto kernel/] },
    { what: "a subnet holding the Kubernetes API server's address", cidr: '10.40.0.0/24', address: '10.40.0.9', names: [/the Kubernetes API server 10\.40\.0\.5/] },
  ];

  for (const c of cases) {
    it(`refuses ${c.what}, naming both; routes, files and the NIC unchanged`, async () => {
      const mac = `fa:16:3e:5f:00:${(cases.indexOf(c) + 1).toString(16).padStart(2, '0')}`;
      const nic = await node.plug({ mac, ifname: 'ens4' });
      try {
        const before = await state();
        const err = await rejection(h.host.configure(port(mac, c.cidr, c.address), '/multinic/publisher'));
        expect(err).to.be.instanceOf(OverlapError);
        expect(err.message).to.include(`subnet ${c.cidr}`);
        for (const n of c.names) expect(err.message).to.match(n);
        expect(await state()).to.deep.equal(before);
        expect((await node.linkByMac(mac))?.ifname).to.equal(nic.ifname);
      } finally {
        await node.unplug(mac);
      }
    });
  }

  it("refuses another MultiNIC interface's subnet after configuring the first for real", async () => {
    await node.plug({ mac: 'fa:16:3e:5f:01:01' });
    await node.plug({ mac: 'fa:16:3e:5f:01:02' });
    const first = await h.host.configure(port('fa:16:3e:5f:01:01', '10.20.0.0/24', '10.20.0.11'), '/multinic/publisher');
    expect(cidrsOf(await node.addrOf(first.name))).to.deep.equal(['10.20.0.11/24']);
    const before = await state();
    const err = await rejection(h.host.configure(port('fa:16:3e:5f:01:02', '10.20.0.128/25', '10.20.0.130'), '/multinic/publisher'));
    expect(err).to.be.instanceOf(OverlapError);
    expect(err.message).to.match(/subnet 10\.20\.0\.0\/24 of MultiNIC's multinic0/);
    const after = await state();
    expect(after.routes).to.equal(before.routes);
    expect(after.files).to.deep.equal(before.files);
    expect((await node.routes()).filter((r) => r.dst === 'default').map((r) => r.dev)).to.deep.equal(['ens3']);
  });

  it('with AGENT_ALLOW_OVERLAP the same check is skipped (the opt-out), validation still runs; a route it would capture is still rolled back by the kernel check', async () => {
    const open = await labHost(node, { allowOverlap: true, probes: [] });
    try {
      await node.plug({ mac: 'fa:16:3e:5f:02:01' });
      // Only the overlap refusal is off: netplan still validates. A subnet around multinic0's
      // 10.20.0.0/24 overlaps it (refused above) but captures nothing: longest-prefix match keeps
      // 10.20.0.0/24 on multinic0, so the kernel check lets it through.
      const r = await open.host.configure(port('fa:16:3e:5f:02:01', '10.20.0.0/16', '10.20.200.20'), '/multinic/publisher');
      expect(cidrsOf(await node.addrOf(r.name))).to.deep.equal(['10.20.200.20/16']);
      // A subnet inside multinic0's would take its traffic: applied, then rolled back by the
      // kernel verification's route check (the second line of defence), routes as before.
      await node.plug({ mac: 'fa:16:3e:5f:02:02' });
      const before = await state();
      const err = await rejection(open.host.configure(port('fa:16:3e:5f:02:02', '10.20.0.0/25', '10.20.0.20'), '/multinic/publisher'));
      expect(err).to.be.instanceOf(RolledBackError);
      expect(err.message).to.match(/route 10\.20\.0\.0\/25 dev multinic\d+ takes traffic for 10\.20\.0\.0\/25 that went by 10\.20\.0\.0\/24 dev multinic0/);
      const after = await state();
      // The rolled-back NIC keeps its multinicN name and is up, so it has its own fe80::/64; nothing else changed.
      const global = (routes: string) => (JSON.parse(routes) as Array<{ dst: string }>).filter((r) => r.dst !== 'fe80::/64');
      expect(global(after.routes)).to.deep.equal(global(before.routes));
      expect(after.files).to.deep.equal(before.files);
    } finally {
      await open.close();
    }
  });
});
