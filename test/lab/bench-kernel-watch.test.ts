import { expect } from 'chai';
import { KernelWatch } from '../../scripts/bench/kernel-watch.js';
import { Lab, type LabNode, pollUntil, run, writeMultinicFile } from './index.js';

describe('bench: the lab phase\'s kernel clock (KernelWatch on a real networkd node)', function () {
  this.timeout(60_000);
  let lab: Lab;
  let node: LabNode;

  before(async () => {
    lab = await Lab.start({ tag: 'dmk' });
    node = await lab.addNode({ name: 'w' });
  });
  after(async () => {
    await lab?.stop();
  });

  it('times the address appearing on the NIC with the MAC through the rename, and judges the end state with ip -j', async () => {
    await node.plug({ mac: 'fa:16:3e:00:00:41' });
    await node.plug({ mac: 'fa:16:3e:00:00:42' });
    const watch = await KernelWatch.start([node]);
    try {
      const t0 = Date.now();
      const configured = { node, mac: 'fa:16:3e:00:00:41', cidr: '10.100.0.10/16' };
      const untouched = { node, mac: 'fa:16:3e:00:00:42', cidr: '10.101.0.10/16' };
      expect(watch.configuredAt(configured, t0)).to.equal(undefined);

      await writeMultinicFile(node.netplanDir, { name: 'multinic0', mac: configured.mac, addresses: [configured.cidr] });
      await run(node.applyCommand);
      const [at] = await watch.waitAll([configured], t0, 15_000);
      expect(at).to.be.a('number');
      expect(at!).to.be.within(t0, Date.now());
      expect(watch.configuredAt(untouched, t0)).to.equal(undefined);
      // An address event older than `since` does not count.
      expect(watch.configuredAt(configured, Date.now() + 1)).to.equal(undefined);

      // The address event can come before networkd has finished the link (netplan apply
      // reconfigures it, and may drop and re-add the address): judge the end state once settled.
      const check = await pollUntil('the configured NIC verified by ip -j', async () => {
        const c = await KernelWatch.check([configured, untouched]);
        return c.verified === 1 ? c : undefined;
      });
      expect(check.verified).to.equal(1);
      expect(check.wrong).to.have.length(1);
      expect(check.wrong[0]).to.match(/^w fa:16:3e:00:00:42: ens5 DOWN no address$/);
      // The real netplan apply reconfigures the foreign primary too (src/lab/README.md).
      expect(watch.primaryEvents(node, t0).length).to.be.greaterThan(0);
    } finally {
      await watch.stop();
    }
  });
});
