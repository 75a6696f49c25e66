import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lab, type LabNode, cidrsOf, removeMultinicFile, writeMultinicFile, pollUntil, run } from './index.js';

const TARGETED = fileURLToPath(new URL('./targeted-apply.sh', import.meta.url));

describe('network lab: the real netplan apply in a networkd node', function () {
  this.timeout(60_000);
  let lab: Lab;
  let node: LabNode;
  let hostRoutes: string;
  const hostHadSystemdDir = existsSync('/run/systemd/system');

  before(async () => {
    hostRoutes = (await run(['ip', '-j', 'route', 'show', 'default'])).stdout;
    lab = await Lab.start({ tag: 'lb' });
    node = await lab.addNode({ name: 'worker-1' });
    await lab.switch.addAddress('10.20.0.1/24');
  });
  after(async () => { await lab?.stop(); });

  it('gives a MultiNIC-style NIC its name, address and MTU 9000, and leaves the primary configured', async () => {
    await node.plug({ mac: 'fa:16:3e:00:10:04' });
    await writeMultinicFile(node.netplanDir, { name: 'multinic0', mac: 'fa:16:3e:00:10:04', addresses: ['10.20.0.11/24'], mtu: 9000 });
    await run(node.applyCommand);
    const nic = await pollUntil('multinic0 up with its address', async () => {
      const l = await node.addrOf('multinic0');
      return l?.operstate === 'UP' && cidrsOf(l).includes('10.20.0.11/24') ? l : undefined;
    });
    expect(nic.address).to.equal('fa:16:3e:00:10:04');
    expect(nic.mtu).to.equal(9000);
    expect(await node.addrOf('ens4')).to.equal(undefined);
    // The switch answers once networkd is done with the links netplan apply reconfigured.
    expect(await pollUntil('the switch answering on the data segment', async () => ((await node.ping('10.20.0.1')) ? true : undefined))).to.equal(true);
    // netplan apply reconfigures every networkd link, the primary too (its address and
    // default route go for ~100 ms and come back): judge the primary once networkd is done.
    await pollUntil('the primary back with its address and default route', async () => {
      const back = cidrsOf(await node.addrOf('ens3')).includes(node.primary.address);
      return back && (await node.routes()).some((r) => r.dst === 'default') ? true : undefined;
    });
    expect(cidrsOf(await node.addrOf('ens3'))).to.deep.equal([node.primary.address]);
    expect((await node.routes()).filter((r) => r.dst === 'default').map((r) => r.dev)).to.deep.equal(['ens3']);
  });

  it('leaves the host alone: no /run/systemd/system created, default route unchanged', async () => {
    expect(existsSync('/run/systemd/system')).to.equal(hostHadSystemdDir);
    expect((await run(['ip', '-j', 'route', 'show', 'default'])).stdout).to.equal(hostRoutes);
    expect(existsSync(`${node.sysfsNetDir}/multinic0`)).to.equal(true);
    expect(existsSync('/sys/class/net/multinic0')).to.equal(false);
  });

  it('removing the file and applying removes the address; the MTU stays 9000 (recorded, not wished)', async () => {
    await removeMultinicFile(node.netplanDir, 'multinic0');
    await run(node.applyCommand);
    await pollUntil('multinic0 without 10.20.0.11', async () => !cidrsOf(await node.addrOf('multinic0')).includes('10.20.0.11/24'), { timeoutMs: 5_000 });
    const nic = await node.addrOf('multinic0');
    expect(cidrsOf(nic, { family: 'inet' })).to.deep.equal([]);
    expect(nic?.mtu).to.equal(9000);
  });

  it('every netplan apply blinks the primary NIC: its address and default route go and come back', async () => {
    await node.settled();
    const mon = await node.monitor();
    await run(node.applyCommand);
    await node.settled();
    await mon.stop();
    const primary = mon.events({ only: ['ens3'] });
    expect(primary.some((e) => e.kind === 'address' && e.deleted), 'address deleted').to.equal(true);
    // The kernel flushes routes through a deleted address without always notifying the deletion;
    // the default route being added again is what shows it was gone.
    expect(primary.some((e) => e.defaultRoute && !e.deleted), 'default route added again').to.equal(true);
    expect(cidrsOf(await node.addrOf('ens3'))).to.deep.equal([node.primary.address]);
  });

  it('the targeted path (staged generate, changed files only, rename, networkctl reload) configures a NIC and no other link sees an event', async () => {
    await node.plug({ mac: 'fa:16:3e:00:10:05' });
    await node.settled();
    const mon = await node.monitor();
    await writeMultinicFile(node.netplanDir, { name: 'multinic1', mac: 'fa:16:3e:00:10:05', addresses: ['10.20.0.12/24'], mtu: 9000 });
    await node.exec(['bash', TARGETED, '--rename', 'ens5', 'multinic1']);
    const nic = await pollUntil('multinic1 up with its address', async () => {
      const l = await node.addrOf('multinic1');
      return l?.operstate === 'UP' && cidrsOf(l).includes('10.20.0.12/24') ? l : undefined;
    });
    expect(nic.mtu).to.equal(9000);
    await node.settled();
    await mon.stop();
    expect(mon.events({ excluding: ['multinic1'] }).map((e) => e.text)).to.deep.equal([]);
    expect(mon.events({ only: ['multinic1'] }).length).to.be.greaterThan(0);
  });

  it('the targeted path removes the address of a NIC whose file is gone, touching no other link', async () => {
    await node.settled();
    const mon = await node.monitor();
    await removeMultinicFile(node.netplanDir, 'multinic1');
    await node.exec(['bash', TARGETED]);
    await pollUntil('multinic1 without 10.20.0.12', async () => !cidrsOf(await node.addrOf('multinic1')).includes('10.20.0.12/24'), { timeoutMs: 5_000 });
    await node.settled();
    await mon.stop();
    expect(mon.events({ excluding: ['multinic1'] }).map((e) => e.text)).to.deep.equal([]);
  });
});
