import { expect } from 'chai';
import { Lab, type LabNode, cidrsOf, writeMultinicFile, pollUntil, run } from './index.js';

describe('network lab: hot-plug and many NICs', function () {
  this.timeout(90_000);
  let lab: Lab;
  let node: LabNode;

  before(async () => {
    lab = await Lab.start({ tag: 'lb' });
    node = await lab.addNode({ name: 'worker-1' });
  });
  after(async () => { await lab?.stop(); });

  it('plugs a NIC 3 s after it is asked to, arriving DOWN', async () => {
    const asked = Date.now();
    const plugged = node.plug({ mac: 'fa:16:3e:00:20:04', afterMs: 3_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(await node.linkByMac('fa:16:3e:00:20:04'), 'not there before 3 s').to.equal(undefined);
    const nic = await plugged;
    expect(Date.now() - asked).to.be.at.least(3_000);
    const link = await node.linkByMac(nic.mac);
    expect(link?.ifname).to.equal(nic.ifname);
    expect(link?.flags).to.not.include('UP');
    await node.unplug(nic.mac);
  });

  it('a delayed plug still pending when the lab stops is cancelled, not left to fire', async () => {
    const other = await Lab.start({ tag: 'lb' });
    const n = await other.addNode({ name: 'w' });
    const plugged = n.plug({ mac: 'fa:16:3e:00:20:05', afterMs: 60_000 });
    await other.stop();
    let error: Error | undefined;
    try { await plugged; } catch (err) { error = err as Error; }
    expect(error?.message).to.include('stopped before a plug');
  });

  // Canonical text (RFC 5952), as the kernel prints it: fd00:30:a::11, never fd00:30:0::11.
  const v6 = (i: number) => `fd00:30:${(i + 1).toString(16)}::11/64`;

  it('configures 12 NICs on one node with one real netplan apply', async () => {
    const macs = Array.from({ length: 12 }, (_, i) => `fa:16:3e:00:21:${(i + 16).toString(16)}`);
    for (const [i, mac] of macs.entries()) {
      await node.plug({ mac });
      await writeMultinicFile(node.netplanDir, { name: `multinic${i}`, mac, addresses: [`10.30.${i}.11/24`, v6(i)], mtu: 9000 });
    }
    expect((await node.links()).filter((l) => l.address?.startsWith('fa:16:3e:00:21:'))).to.have.length(12);
    await run(node.applyCommand);
    await pollUntil('12 NICs configured', async () => {
      const all = await node.addr();
      return macs.every((mac, i) => {
        const l = all.find((x) => x.address === mac);
        return l?.ifname === `multinic${i}` && l.mtu === 9000 && l.operstate === 'UP'
          && cidrsOf(l, { family: 'inet' }).includes(`10.30.${i}.11/24`) && cidrsOf(l, { family: 'inet6' }).includes(v6(i));
      });
    }, { timeoutMs: 20_000 });
    expect((await node.routes()).filter((r) => r.dst === 'default').map((r) => r.dev)).to.deep.equal(['ens3']);
  });
});
