import { expect } from 'chai';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ForeignClaimError } from '../../../src/host/ownership.js';
import { OverlapError } from '../../../src/host/overlap.js';
import type { HostBatchChange } from '../../../src/model/ports.js';
import { Lab, cidrsOf, type LabNode } from '../index.js';
import { labHost, port, rejection, snapshot } from './host.js';

/**
 * Issue 14 x issue 11 in a lab node (real netplan generate and apply, real networkd, real
 * ping): a batch gets every safety check a single event gets. A member whose subnet
 * overlaps the node's primary is refused alone, naming both, while the others are applied
 * in one apply behind the probe gate (probes before it and again after it).
 */
describe('lab: a batch gets the safety checks of a single event (issues 11 and 14)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let node: LabNode;

  before(async () => {
    lab = await Lab.start({ tag: 'b3' });
    node = await lab.addNode({ name: 'worker-1', primary: { address: '10.0.0.5/24' } });
  });
  after(async () => {
    await lab?.stop();
  });

  const configure = (data: ReturnType<typeof port>): HostBatchChange => ({ op: 'configure', data, origin: '/multinic/publisher' });

  it('refuses the overlapping port alone, applies the others once, and runs the probe gate around the apply', async () => {
    const seen: string[] = [];
    const h = await labHost(node, { probes: ['gateway', 'routes'], onProbe: (e) => seen.push(`${e.kind} ${e.phase} ${e.ok ? 'pass' : 'fail'}`) });
    const macs = ['fa:16:3e:b3:00:01', 'fa:16:3e:b3:00:02', 'fa:16:3e:b3:00:03'];
    for (const mac of macs) await node.plug({ mac });
    try {
      const results = await h.host.applyBatch([
        configure(port(macs[0]!, '10.21.0.0/24', '10.21.0.11')),
        configure(port(macs[1]!, '10.0.0.0/28', '10.0.0.12')),
        configure(port(macs[2]!, '10.22.0.0/24', '10.22.0.11')),
      ]);
      expect(results.map((r) => r.ok)).to.deep.equal([true, false, true]);
      const refused = results[1]!;
      if (refused.ok) throw new Error('unreachable');
      expect(refused.error).to.be.instanceOf(OverlapError);
      expect((refused.error as Error).message).to.match(/subnet 10\.0\.0\.0\/28/).and.to.match(/address 10\.0\.0\.5\/24 of ens3/);
      // One apply for the two that passed, and the probes ran before it and after it.
      expect(h.records().filter((r) => r.msg === 'batch applied').map((r) => r.configured)).to.have.length(1);
      expect(seen).to.include.members(['gateway before pass', 'routes before pass', 'gateway after pass', 'routes after pass']);
      for (const [i, mac] of [[0, macs[0]!], [2, macs[2]!]] as const) {
        const link = await node.linkByMac(mac);
        expect(link?.ifname, mac).to.match(/^multinic\d+$/);
        expect(cidrsOf(await node.addrOf(link!.ifname))).to.deep.equal([`10.${21 + i / 2}.0.11/24`]);
      }
      expect((await node.linkByMac(macs[1]!))?.ifname).to.not.match(/^multinic/);
    } finally {
      for (const mac of macs) await node.unplug(mac);
      await h.close();
    }
  });

  it('refuses the whole batch when another definition claims one of its NICs (the runtime then halves it), naming the file; nothing applied', async () => {
    const h = await labHost(node, { probes: [] });
    const macs = ['fa:16:3e:b3:01:01', 'fa:16:3e:b3:01:02'];
    const claim = join(node.netplanDir, '60-b3-claim.yaml');
    await writeFile(claim, `network:\n  version: 2\n  ethernets:\n    theirs:\n      match:\n        macaddress: "${macs[1]}"\n      dhcp4: true\n`, { mode: 0o600 });
    for (const mac of macs) await node.plug({ mac });
    try {
      const before = await snapshot(node.netplanDir);
      const err = await rejection(h.host.applyBatch([
        configure(port(macs[0]!, '10.23.0.0/24', '10.23.0.11')),
        configure(port(macs[1]!, '10.24.0.0/24', '10.24.0.11')),
      ]));
      expect(err).to.be.instanceOf(ForeignClaimError);
      expect(err.message).to.match(/60-b3-claim\.yaml \(theirs\) matches MAC fa:16:3e:b3:01:02/);
      expect(await snapshot(node.netplanDir)).to.deep.equal(before);
      // The half without the claimed NIC, as the runtime's bisection retries it, is applied.
      const [alone] = await h.host.applyBatch([configure(port(macs[0]!, '10.23.0.0/24', '10.23.0.11'))]);
      expect(alone?.ok).to.equal(true);
      expect((await node.linkByMac(macs[0]!))?.ifname).to.match(/^multinic\d+$/);
    } finally {
      await unlink(claim);
      for (const mac of macs) await node.unplug(mac);
      await h.close();
    }
  });
});
