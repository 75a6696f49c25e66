import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Lab } from './index.js';
import type { LabNode } from './index.js';
import { cidrsOf, type IpRoute } from './index.js';
import type { LinkMonitor } from './index.js';
import { OverlapError } from '../../src/host/overlap.js';
import { labHost, portData, type ApplyFaults, type ApplyMethod, type LabHost } from './agent-host.js';

/**
 * MultiNIC's host side (NetplanHost built from the configuration as the agent's root builds
 * it) serving a lab node with the real netplan and systemd-networkd, each scenario judged by
 * the kernel (`ip -j addr/link/route` in the node) and by the files (issue 10 points 2–4, 6).
 */

const MAC = (n: number) => `fa:16:3e:40:00:${n.toString(16).padStart(2, '0')}`;

/** Every file of the node's /etc/netplan, exact bytes. */
async function files(node: LabNode): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of (await readdir(node.netplanDir)).sort()) out.set(f, await readFile(join(node.netplanDir, f)));
  return out;
}

/** The global addresses, MTU, name and UP flag of the link with `mac`, from `ip -j addr` in the node. */
async function kernelOf(node: LabNode, mac: string) {
  const l = (await node.addr()).find((x) => x.address === mac);
  return l && { name: l.ifname, up: l.flags.includes('UP'), mtu: l.mtu, addresses: cidrsOf(l) };
}

const routeText = (r: IpRoute) => `${r.dst} via ${r.gateway ?? '-'} dev ${r.dev} metric ${r.metric ?? '-'} proto ${r.protocol ?? '-'}`;
const routesOf = async (node: LabNode, dev: string) => (await node.routes()).filter((r) => r.dev === dev).map(routeText).sort();

for (const method of ['targeted', 'apply'] as ApplyMethod[]) {
  describe(`MultiNIC's host on a lab node, judged by the kernel (${method === 'targeted' ? 'targeted apply' : 'netplan apply'})`, function () {
    this.timeout(180_000);
    let lab: Lab;
    let node: LabNode;
    let h: LabHost;
    let mon: LinkMonitor;
    let primaryRoutes: string[];
    const faults: ApplyFaults = { failApplies: 0 };

    before(async () => {
      lab = await Lab.start({ tag: 'kn' });
      node = await lab.addNode({ name: 'worker-1', primary: { address: '10.0.0.5/24' } });
      await lab.switch.addAddress('10.20.0.1/24');
      h = await labHost(node, method, { faults });
      await node.settled();
      primaryRoutes = await routesOf(node, 'ens3');
      mon = await node.monitor();
    });
    after(async () => {
      await mon?.stop();
      await lab?.stop();
    });

    const configure = (portId: string, mac: string, cidr: string, address: string | null, mtu: number | null = null) =>
      h.host.configure(portData(node, { portId, mac, cidr, address, mtu }), '/lab/test');

    it('attach IPv4 with MTU 9000: the NIC is renamed, up, MTU 9000, carries exactly its address, and answers', async () => {
      await node.plug({ mac: MAC(1) });
      expect(await configure('p1', MAC(1), '10.20.0.0/24', '10.20.0.11', 9000)).to.deep.equal({ name: 'multinic0', changed: true });
      expect(await kernelOf(node, MAC(1))).to.deep.equal({ name: 'multinic0', up: true, mtu: 9000, addresses: ['10.20.0.11/24'] });
      expect([...(await files(node)).keys()]).to.include('90-multinic-multinic0.yaml');
      expect(await node.ping('10.20.0.1')).to.equal(true);
    });

    it('attach IPv6: the address counts as soon as the kernel has it, DAD still running or not', async () => {
      await node.plug({ mac: MAC(2) });
      await configure('p2', MAC(2), 'fd00:21::/64', 'fd00:21::11');
      const k = await kernelOf(node, MAC(2));
      expect(k).to.include({ name: 'multinic1', up: true });
      expect(k!.addresses).to.deep.equal(['fd00:21::11/64']);
    });

    it('address change: only the new address remains', async () => {
      await configure('p1', MAC(1), '10.20.0.0/24', '10.20.0.12', 9000);
      expect((await kernelOf(node, MAC(1)))!.addresses).to.deep.equal(['10.20.0.12/24']);
    });

    it('MTU change: the kernel shows the new MTU', async () => {
      await configure('p1', MAC(1), '10.20.0.0/24', '10.20.0.12', 4000);
      expect(await kernelOf(node, MAC(1))).to.deep.include({ mtu: 4000, addresses: ['10.20.0.12/24'] });
    });

    it('detach: the file is gone and the NIC carries no address MultiNIC set', async () => {
      expect(await h.host.remove('p1')).to.deep.equal({ name: 'multinic0', changed: true });
      expect([...(await files(node)).keys()]).to.not.include('90-multinic-multinic0.yaml');
      expect((await kernelOf(node, MAC(1)))!.addresses).to.deep.equal([]);
    });

    it('a NIC that appears 3 s after its event is waited for and configured', async () => {
      const t0 = Date.now();
      const plugged = node.plug({ mac: MAC(3), afterMs: 3000 });
      await configure('p3', MAC(3), '10.22.0.0/24', '10.22.0.11');
      await plugged;
      expect(Date.now() - t0).to.be.at.least(3000);
      expect(await kernelOf(node, MAC(3))).to.deep.include({ name: 'multinic2', up: true, addresses: ['10.22.0.11/24'] });
    });

    it('the same port re-attached under a new kernel name gets its name and address back', async () => {
      await node.unplug(MAC(3));
      await node.plug({ mac: MAC(3), ifname: 'ens42' });
      expect(await kernelOf(node, MAC(3))).to.deep.include({ name: 'ens42', addresses: [] });
      expect(await configure('p3', MAC(3), '10.22.0.0/24', '10.22.0.11')).to.deep.equal({ name: 'multinic2', changed: true });
      expect(await kernelOf(node, MAC(3))).to.deep.include({ name: 'multinic2', up: true, addresses: ['10.22.0.11/24'] });
    });

    it('an apply that fails is rolled back: files byte for byte, no address left, the primary untouched', async () => {
      await node.plug({ mac: MAC(4) });
      const before = await files(node);
      // targeted: the reload and its netplan-apply fallback fail; apply: netplan apply fails.
      faults.failApplies = method === 'targeted' ? 2 : 1;
      const err = await configure('p4', MAC(4), '10.24.0.0/24', '10.24.0.11').then(() => undefined, (e: Error) => e);
      faults.failApplies = 0;
      expect(err?.message).to.match(/rolled back .*injected by the lab test/);
      expect(await files(node)).to.deep.equal(before);
      expect((await kernelOf(node, MAC(4)))!.addresses).to.deep.equal([]);
      expect(await routesOf(node, 'ens3')).to.deep.equal(primaryRoutes);
    });

    it('a port that would capture the primary\'s route (10.0.0.0/28 beside 10.0.0.5/24) is refused before apply; nothing applied, the primary\'s routes are unchanged', async () => {
      await node.plug({ mac: MAC(5) });
      const before = await files(node);
      // An armed apply fault that is still armed afterwards: no apply step ran.
      faults.failApplies = 1;
      const err = await configure('p5', MAC(5), '10.0.0.0/28', '10.0.0.9').then(() => undefined, (e: Error) => e);
      const armed = faults.failApplies;
      faults.failApplies = 0;
      expect(err).to.be.instanceOf(OverlapError);
      expect(err?.message).to.match(/refusing port p5: its subnet 10\.0\.0\.0\/28 overlaps address 10\.0\.0\.5\/24 of ens3/);
      expect(armed, 'apply steps run').to.equal(1);
      expect(await files(node)).to.deep.equal(before);
      expect((await kernelOf(node, MAC(5)))!.addresses).to.deep.equal([]);
      expect(await routesOf(node, 'ens3')).to.deep.equal(primaryRoutes);
      expect((await node.routes()).filter((r) => r.dst === '10.0.0.0/28')).to.deep.equal([]);
      expect(await node.ping('10.0.0.1')).to.equal(true);
    });

    it('with the overlap refusal opted out (AGENT_ALLOW_OVERLAP), the same port is applied and rolled back by the route check after apply; the primary\'s routes are unchanged', async () => {
      const optedOut = await labHost(node, method, { faults, env: { AGENT_ALLOW_OVERLAP: 'true' } });
      const before = await files(node);
      const err = await optedOut.host.configure(portData(node, { portId: 'p5', mac: MAC(5), cidr: '10.0.0.0/28', address: '10.0.0.9' }), '/lab/test').then(() => undefined, (e: Error) => e);
      expect(err?.message).to.match(/rolled back .*route 10\.0\.0\.0\/28 dev multinic\d+ takes traffic for 10\.0\.0\.0\/28 that went by 10\.0\.0\.0\/24 dev ens3/);
      expect(await files(node)).to.deep.equal(before);
      expect((await kernelOf(node, MAC(5)))!.addresses).to.deep.equal([]);
      expect(await routesOf(node, 'ens3')).to.deep.equal(primaryRoutes);
      expect((await node.routes()).filter((r) => r.dst === '10.0.0.0/28')).to.deep.equal([]);
      expect(await node.ping('10.0.0.1')).to.equal(true);
    });

    if (method === 'targeted') {
      it('12 NICs on one node, one apply each: each gets its name and address, no other link sees an event during its apply', async () => {
        const disturbed: string[] = [];
        for (let i = 0; i < 12; i++) {
          const mac = MAC(0x10 + i);
          const nic = await node.plug({ mac });
          const t0 = Date.now();
          const { name } = await configure(`p12-${i}`, mac, `10.30.${i}.0/24`, `10.30.${i}.11`, 9000);
          // Link-local DAD of NICs plugged just before finishes on its own; it is the kernel's, not the apply's.
          const others = mon.events({ excluding: [nic.ifname, name] }).filter((e) => e.atMs >= t0 && !e.text.includes('fe80::'));
          disturbed.push(...others.map((e) => `${name}: ${e.text}`));
          expect(await kernelOf(node, mac)).to.deep.equal({ name, up: true, mtu: 9000, addresses: [`10.30.${i}.11/24`] });
        }
        expect(disturbed).to.deep.equal([]);
      });

      it('the primary NIC saw no event during any of the applies above', () => {
        expect(mon.events({ only: ['ens3'] }).map((e) => e.text)).to.deep.equal([]);
      });
    }
  });
}

describe('MultiNIC deletes exactly the addresses it set when the apply leaves them (netplan\'s fallback path does)', function () {
  this.timeout(120_000);
  let lab: Lab;
  before(async () => { lab = await Lab.start({ tag: 'kn' }); });
  after(async () => { await lab?.stop(); });

  it('a detach whose apply changes nothing in the kernel still ends with only the foreign address on the NIC', async () => {
    const node = await lab.addNode({ name: 'worker-1' });
    const real = await labHost(node, 'targeted');
    // An apply that does nothing at all, as netplan's networkd-restart fallback leaves addresses in place.
    const inert = await labHost(node, 'apply', { env: { NETPLAN_APPLY_COMMAND: '["true"]' } });
    await node.plug({ mac: MAC(7) });
    await real.host.configure(portData(node, { portId: 'p7', mac: MAC(7), cidr: '10.27.0.0/24', address: '10.27.0.11' }), '/lab/test');
    await node.exec(['ip', 'address', 'add', '10.28.0.5/24', 'dev', 'multinic0']);
    expect(await inert.host.remove('p7')).to.deep.equal({ name: 'multinic0', changed: true });
    expect((await kernelOf(node, MAC(7)))!.addresses).to.deep.equal(['10.28.0.5/24']);
    expect(inert.ring.records().map((r) => r.msg)).to.include('deleted an address MultiNIC had set and no longer wants');
  });
});
