import { expect } from 'chai';
import { writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resyncNode } from '../../../src/agent/resync.js';
import { AmbiguousNicError, ForeignClaimError } from '../../../src/host/ownership.js';
import { FakePatcher, FakeStore } from '../../helpers/fakes.js';
import { rowFor } from '../../helpers/builders.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { CLOUD_INIT_NETPLAN, Lab, cidrsOf, type LabNode } from '../index.js';
import { labHost, port, rejection, snapshot, type LabHost } from './host.js';

/**
 * Issue 11 point 2 in a lab node (real netplan generate of the whole candidate folder, real
 * netplan apply): a NIC that another definition claims is refused naming that file, which
 * stays byte-identical, and the kernel shows the NIC untouched; a claim that appears later is
 * reported by resync and changes nothing; two NICs with one MAC are refused as ambiguous.
 */
describe('lab: one owner per NIC (issue 11)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let node: LabNode;
  let h: LabHost;
  const MAC = 'fa:16:3e:10:00:01';

  before(async () => {
    lab = await Lab.start({ tag: 'sf' });
    node = await lab.addNode({ name: 'worker-1' });
    await lab.switch.addAddress('10.20.0.1/16');
    h = await labHost(node, { probes: [] });
  });
  after(async () => {
    await h?.close();
    await lab?.stop();
  });

  const doc = (defs: Record<string, unknown>) => stringify({ network: { version: 2, ...defs } });
  /** The claims, each a file another owner writes; `file` undefined: cloud-init's own file gets the definition added. */
  const claims: Array<{ what: string; file?: string; yaml?: string; defs?: Record<string, unknown>; names: RegExp }> = [
    {
      what: "cloud-init's hotplug definition in 50-cloud-init.yaml (match MAC, set-name ens4, dhcp4)",
      defs: { ens4: { match: { macaddress: MAC }, 'set-name': 'ens4', dhcp4: true } },
      names: /50-cloud-init\.yaml \(ens4\) matches MAC fa:16:3e:10:00:01.*renames it to ens4/,
    },
    { what: 'a catch-all name glob', file: '60-catchall.yaml', yaml: doc({ ethernets: { all: { match: { name: 'e*' }, dhcp4: true } } }), names: /60-catchall\.yaml \(all\) matches name e\*/ },
    { what: 'a driver match', file: '60-driver.yaml', yaml: doc({ ethernets: { nics: { match: { driver: 'veth' }, dhcp4: true } } }), names: /60-driver\.yaml \(nics\) matches driver veth/ },
    {
      what: 'a bond member',
      file: '60-bond.yaml',
      yaml: doc({ ethernets: { mem: { match: { macaddress: MAC } } }, bonds: { bond0: { interfaces: ['mem'] } } }),
      names: /60-bond\.yaml \(mem\) matches MAC .* as a member of bond bond0/,
    },
    {
      what: 'a bridge port',
      file: '60-bridge.yaml',
      yaml: doc({ ethernets: { port1: { match: { macaddress: MAC } } }, bridges: { br0: { interfaces: ['port1'] } } }),
      names: /60-bridge\.yaml \(port1\) matches MAC .* as a port of bridge br0/,
    },
    {
      what: 'a VLAN parent',
      file: '60-vlan.yaml',
      yaml: doc({ ethernets: { trunk: { match: { macaddress: MAC } } }, vlans: { 'vlan.5': { id: 5, link: 'trunk' } } }),
      names: /60-vlan\.yaml \(trunk\) matches MAC .* as the parent of VLAN vlan\.5/,
    },
    {
      what: "a set-name that gives another NIC MultiNIC's name",
      file: '60-rename.yaml',
      yaml: doc({ ethernets: { other: { match: { macaddress: 'fa:16:3e:99:99:99' }, 'set-name': 'multinic0' } } }),
      names: /60-rename\.yaml \(other\) gives the name multinic0 to another NIC/,
    },
  ];

  for (const c of claims) {
    it(`refuses the NIC when ${c.what} claims it, naming the file; the file byte-identical, the NIC untouched`, async () => {
      const cloudInit = join(node.netplanDir, CLOUD_INIT_NETPLAN);
      const original = (await snapshot(node.netplanDir)).get(CLOUD_INIT_NETPLAN)!;
      if (c.defs) {
        const { parse } = await import('yaml');
        const d = parse(original.toString()) as { network: { ethernets: Record<string, unknown> } };
        Object.assign(d.network.ethernets, c.defs);
        await writeFile(cloudInit, stringify(d), { mode: 0o600 });
      } else await writeFile(join(node.netplanDir, c.file!), c.yaml!, { mode: 0o600 });
      await node.plug({ mac: MAC, ifname: 'ens4' });
      try {
        const before = await snapshot(node.netplanDir);
        const routes = JSON.stringify(await node.routes());
        const err = await rejection(h.host.configure(port(MAC, '10.20.0.0/16', '10.20.0.11'), '/multinic/publisher'));
        expect(err).to.be.instanceOf(ForeignClaimError);
        expect(err.message).to.include(node.netplanDir);
        expect(err.message).to.match(c.names);
        expect(await snapshot(node.netplanDir)).to.deep.equal(before);
        expect(JSON.stringify(await node.routes())).to.equal(routes);
        const nic = await node.linkByMac(MAC);
        expect(nic?.ifname).to.equal('ens4');
        expect(cidrsOf(await node.addrOf('ens4'))).to.deep.equal([]);
      } finally {
        await node.unplug(MAC);
        if (c.defs) await writeFile(cloudInit, original, { mode: 0o600 });
        else await unlink(join(node.netplanDir, c.file!));
      }
    });
  }

  it('refuses two NICs with one MAC as ambiguous, at once and with that reason', async () => {
    const mac = 'fa:16:3e:10:00:02';
    await node.plug({ mac, ifname: 'ens6' });
    await node.plug({ mac, ifname: 'ens7' });
    try {
      const started = Date.now();
      const err = await rejection(h.host.configure(port(mac, '10.20.0.0/16', '10.20.0.12'), '/multinic/publisher'));
      expect(err).to.be.instanceOf(AmbiguousNicError);
      expect(err.message).to.match(/ambiguous, 2 interfaces carry it \(ens6, ens7\)/);
      expect(Date.now() - started, 'not a wait for the NIC to appear').to.be.below(2000);
      expect(cidrsOf(await node.addrOf('ens6'))).to.deep.equal([]);
      expect(cidrsOf(await node.addrOf('ens7'))).to.deep.equal([]);
    } finally {
      await node.exec(['ip', 'link', 'del', 'ens6']);
      await node.exec(['ip', 'link', 'del', 'ens7']);
    }
  });

  it('resync notices a claim written after MultiNIC configured the NIC: ready=false, last-error names the file, nothing changed', async () => {
    const mac = 'fa:16:3e:10:00:03';
    await node.plug({ mac });
    const data = port(mac, '10.20.0.0/16', '10.20.0.13');
    const done = await h.host.configure(data, '/multinic/publisher');
    expect(cidrsOf(await node.addrOf(done.name))).to.deep.equal(['10.20.0.13/16']);
    // cloud-init's hotplug handler writes its own definition for the NIC later.
    await writeFile(join(node.netplanDir, '50-cloud-init-hotplug.yaml'), doc({ ethernets: { ens8: { match: { macaddress: mac }, 'set-name': 'ens8', dhcp4: true } } }), { mode: 0o600 });
    const files = await snapshot(node.netplanDir);
    const routes = JSON.stringify(await node.routes());
    const store = new FakeStore([rowFor(data, { netplanSuccess: true })]);
    const nodes = new FakePatcher();
    const { log } = createRingLogger('sf-resync');
    const summary = await resyncNode({ store, host: h.host, nodes, log, node: { kubeName: 'worker-1', dbName: 'worker-1' }, now: () => new Date() });
    expect(summary.claimed.map((c) => c.portId)).to.deep.equal([data.portId]);
    expect(nodes.last?.ready).to.equal(false);
    expect(nodes.last?.lastError).to.match(/50-cloud-init-hotplug\.yaml \(ens8\) matches MAC fa:16:3e:10:00:03/);
    expect(summary.configured).to.deep.equal([]);
    expect(await snapshot(node.netplanDir)).to.deep.equal(files);
    expect(JSON.stringify(await node.routes())).to.equal(routes);
    expect(cidrsOf(await node.addrOf(done.name))).to.deep.equal(['10.20.0.13/16']);
  });
});
