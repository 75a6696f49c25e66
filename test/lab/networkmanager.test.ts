import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Lab, type LabNode, cidrsOf, writeMultinicKeyfile, pollUntil, run, cloudInitKeyfile } from './index.js';


describe('network lab: a NetworkManager node', function () {
  this.timeout(60_000);
  let lab: Lab;
  let node: LabNode;

  before(async () => {
    lab = await Lab.start({ tag: 'lb' });
    node = await lab.addNode({ name: 'rocky-1', backend: 'networkmanager', primary: { address: '10.0.0.6/24', gateway: '10.0.0.1' } });
    await lab.switch.addAddress('10.40.0.1/24');
    await lab.switch.addAddress('fd00:40::1/64');
  });
  after(async () => { await lab?.stop(); });

  it('configures the primary NIC from a foreign keyfile: address, default route, a gateway that answers', async () => {
    expect(readdirSync(node.nmConnectionsDir)).to.deep.equal([cloudInitKeyfile('ens3')]);
    const { stdout } = await run([...node.nmcliCommand, '-t', '-f', 'NAME,DEVICE', 'connection', 'show', '--active']);
    // NetworkManager 1.42 also shows its in-memory loopback profile.
    expect(stdout.trim().split('\n').sort()).to.deep.equal(['cloud-init ens3:ens3', 'lo:lo']);
    expect(cidrsOf(await node.addrOf('ens3'), { family: 'inet' })).to.deep.equal(['10.0.0.6/24']);
    expect((await node.routes()).filter((r) => r.dst === 'default').map((r) => [r.gateway, r.dev])).to.deep.equal([['10.0.0.1', 'ens3']]);
    expect(await node.ping('10.0.0.1')).to.equal(true);
    expect(() => node.applyCommand).to.throw(/runs NetworkManager/);
  });

  it('configures a hot-plugged NIC from a MultiNIC keyfile with `nmcli connection load`, then `up`', async () => {
    const nic = await node.plug({ mac: 'fa:16:3e:00:40:04' });
    const path = await writeMultinicKeyfile(node.nmConnectionsDir, { name: 'multinic0', mac: nic.mac, addresses: ['10.40.0.11/24', 'fd00:40::11/64'], mtu: 9000 });
    const inNode = join('/etc/NetworkManager/system-connections', path.split('/').pop()!);
    const load = await run([...node.nmcliCommand, 'connection', 'load', inNode]);
    // `load` exits 0 even when NetworkManager rejects the file (NETWORKMANAGER.md §5).
    expect(load.stderr).to.not.include('Could not load');
    await run([...node.nmcliCommand, 'connection', 'up', 'multinic-multinic0']);
    const l = await pollUntil('ens4 with its addresses', async () => {
      const x = await node.addrOf(nic.ifname);
      return x && cidrsOf(x, { family: 'inet' }).includes('10.40.0.11/24') && cidrsOf(x, { family: 'inet6' }).includes('fd00:40::11/64') ? x : undefined;
    });
    expect(l.mtu).to.equal(9000);
    expect(await node.ping('10.40.0.1')).to.equal(true);
    expect((await node.routes()).filter((r) => r.dst === 'default').map((r) => r.dev)).to.deep.equal(['ens3']);
  });

  it('removing the keyfile and `nmcli connection reload` drops the addresses and MTU, touching no other link', async () => {
    await node.settled();
    const mon = await node.monitor();
    await rm(join(node.nmConnectionsDir, 'multinic-multinic0.nmconnection'));
    await run([...node.nmcliCommand, 'connection', 'reload']);
    await pollUntil('ens4 without addresses, MTU back to 1500', async () => {
      const l = await node.addrOf('ens4');
      return cidrsOf(l).length === 0 && l?.mtu === 1500;
    }, { timeoutMs: 5_000 });
    await mon.stop();
    expect(mon.events({ excluding: ['ens4'] }).map((e) => e.text)).to.deep.equal([]);
  });
});
