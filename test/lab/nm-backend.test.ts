import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipAddressReader } from '../../src/host/addresses.js';
import { runCommand, type CommandRunner } from '../../src/host/command.js';
import { createIpKernel } from '../../src/host/kernel.js';
import { chooseBackend } from '../../src/host/detect-backend.js';
import { NetworkManagerHost } from '../../src/host/networkmanager/host.js';
import { OWNED_MARKER } from '../../src/host/owned-meta.js';
import { createRingLogger } from '../../src/log/logger.js';
import { interfaceData } from '../helpers/builders.js';
import { Lab, cidrsOf, cloudInitKeyfile, pollUntil, type LabNode } from './index.js';

/**
 * The NetworkManager backend (src/host/networkmanager) on a lab node that runs the real
 * NetworkManager 1.42 with a private D-Bus: every outcome is judged by the node's kernel
 * (`ip -j addr`, routes), never by what the backend says.
 */
describe('NetworkManager backend in a lab node (real NetworkManager)', function () {
  this.timeout(90_000);
  let lab: Lab;
  let node: LabNode;
  let host: NetworkManagerHost;
  let backupDir: string;
  let ifcfgDir: string;
  let linkDir: string;
  const ring = createRingLogger('nm-backend');

  /** Runs `ip`-reading commands inside the node, as `hostNetwork` does on a real node. */
  const inNode: CommandRunner = (argv, opts) => runCommand([...node.enterCommand, ...argv], opts);

  before(async () => {
    lab = await Lab.start({ tag: 'nm' });
    node = await lab.addNode({ name: 'rocky-1', backend: 'networkmanager', primary: { address: '10.0.0.6/24', gateway: '10.0.0.1' } });
    await lab.switch.addAddress('10.41.0.1/24');
    await lab.switch.addAddress('fd00:41::1/64');
    backupDir = await mkdtemp(join(tmpdir(), 'nm-backups-'));
    ifcfgDir = await mkdtemp(join(tmpdir(), 'nm-ifcfg-'));
    linkDir = await mkdtemp(join(tmpdir(), 'nm-link-'));
    await writeFile(join(linkDir, '10-multinic-multinic9.link'), '# the operator\'s own, named like ours\n[Match]\nMACAddress=fa:16:3e:99:99:99\n[Link]\nName=multinic9\n');
    host = new NetworkManagerHost({
      connectionsDir: node.nmConnectionsDir,
      ifcfgDir,
      linkDir,
      nmcliCommand: node.nmcliCommand,
      kernel: createIpKernel({ ipCommand: [...node.enterCommand, 'ip'], log: ring.log }),
      applyTimeoutMs: 20_000,
      sysfsNetDir: node.sysfsNetDir,
      backupDir,
      backupKeep: 5,
      nicWaitMs: 10_000,
      allowTakeover: false,
      addresses: ipAddressReader({ log: ring.log, run: inNode }),
      log: ring.log,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: () => new Date(),
    });
  });
  after(async () => {
    await lab?.stop();
    for (const d of [backupDir, ifcfgDir, linkDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  it('AGENT_BACKEND=auto picks NetworkManager on this node: no netplan file, `nmcli` says running', async () => {
    const choice = await chooseBackend('auto', { netplanDir: node.netplanDir, nmcliCommand: node.nmcliCommand, run: runCommand, timeoutMs: 10_000, log: ring.log });
    expect(choice).to.deep.equal({ backend: 'networkmanager', reason: `no *.yaml in ${node.netplanDir} and NetworkManager is running` });
  });

  const defaults = async () => (await node.routes()).filter((r) => r.dst === 'default').map((r) => `${r.gateway} ${r.dev}`);
  const v4 = interfaceData({ macAddress: 'fa:16:3e:41:00:04', cidr: '10.41.0.0/24', address: '10.41.0.11', mtu: 9000 });
  const v6 = interfaceData({ macAddress: 'fa:16:3e:41:00:05', cidr: 'fd00:41::/64', address: 'fd00:41::11', mtu: 1400 });

  it('attaches an IPv4 port with MTU 9000: the NIC is renamed multinic0 and carries the address, the default route stays on the primary', async () => {
    await node.plug({ mac: v4.macAddress });
    expect(await host.configure(v4, '/multinic/publisher')).to.deep.equal({ name: 'multinic0', changed: true });
    const l = await node.addrOf('multinic0');
    expect(cidrsOf(l, { family: 'inet' })).to.deep.equal(['10.41.0.11/24']);
    expect(l?.mtu).to.equal(9000);
    expect(l?.operstate).to.equal('UP');
    expect(await defaults()).to.deep.equal(['10.0.0.1 ens3']);
    expect(await node.ping('10.41.0.1')).to.equal(true);
    const file = join(node.nmConnectionsDir, 'multinic-multinic0.nmconnection');
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect((await readFile(file, 'utf8')).split('\n')[0]).to.equal(OWNED_MARKER);
    // udev names the NIC so at the next boot or re-plug (systemd.link(5)); the lab has no udev to show it.
    expect(await readFile(join(linkDir, '10-multinic-multinic0.link'), 'utf8')).to.equal(`${OWNED_MARKER}\n[Match]\nMACAddress=fa:16:3e:41:00:04\n\n[Link]\nName=multinic0\n`);
    // The prefix route has the pinned metric, not NM's per-activation one (NETWORKMANAGER.md §2).
    expect((await node.routes()).filter((r) => r.dev === 'multinic0' && r.dst === '10.41.0.0/24').map((r) => r.metric)).to.deep.equal([1000]);
  });

  it('attaches an IPv6 port with MTU 1400 on a second NIC without an event on any other link', async () => {
    await node.plug({ mac: v6.macAddress });
    await node.settled();
    const mon = await node.monitor();
    expect(await host.configure(v6, '/multinic/publisher')).to.deep.equal({ name: 'multinic1', changed: true });
    const l = await pollUntil('multinic1 with fd00:41::11/64', async () => {
      const x = await node.addrOf('multinic1');
      return cidrsOf(x, { family: 'inet6' }).includes('fd00:41::11/64') ? x : undefined;
    });
    expect(l.mtu).to.equal(1400);
    expect(cidrsOf(l, { family: 'inet' })).to.deep.equal([]);
    await mon.stop();
    expect(mon.events({ excluding: ['multinic1', 'ens5'] }).map((e) => e.text)).to.deep.equal([]);
    expect(await defaults()).to.deep.equal(['10.0.0.1 ens3']);
  });

  it('a duplicate attach is a no-op: nothing written, nothing applied', async () => {
    const before = await readFile(join(node.nmConnectionsDir, 'multinic-multinic0.nmconnection'));
    expect(await host.configure(v4, '/multinic/publisher')).to.deep.equal({ name: 'multinic0', changed: false });
    expect(await readFile(join(node.nmConnectionsDir, 'multinic-multinic0.nmconnection'))).to.deep.equal(before);
  });

  it('an address and MTU change leaves no old address behind', async () => {
    await host.configure({ ...v4, address: '10.41.0.12', mtu: 1500, generation: v4.generation + 1 }, '/multinic/publisher');
    const l = await node.addrOf('multinic0');
    expect(cidrsOf(l, { family: 'inet' })).to.deep.equal(['10.41.0.12/24']);
    expect(l?.mtu).to.equal(1500);
  });

  it('a port moved to an IPv6 subnet: the IPv4 address goes, the IPv6 one comes, on the same NIC', async () => {
    const moved = { ...v4, cidr: 'fd00:42::/64', address: 'fd00:42::11', generation: v4.generation + 1 };
    expect(await host.configure(moved, '/multinic/publisher')).to.deep.equal({ name: 'multinic0', changed: true });
    const l = await pollUntil('multinic0 with fd00:42::11/64', async () => {
      const x = await node.addrOf('multinic0');
      return cidrsOf(x, { family: 'inet6' }).includes('fd00:42::11/64') ? x : undefined;
    });
    expect(cidrsOf(l, { family: 'inet' })).to.deep.equal([]);
    expect(cidrsOf(l, { family: 'inet6' })).to.deep.equal(['fd00:42::11/64']);
    await host.configure({ ...v4, address: '10.41.0.12', mtu: 1500, generation: v4.generation + 1 }, '/multinic/publisher');
    expect(cidrsOf(await node.addrOf('multinic0'))).to.deep.equal(['10.41.0.12/24']);
  });

  it('a failed apply (NetworkManager stopped) rolls the keyfile back byte for byte; the kernel keeps the last good address', async () => {
    const file = join(node.nmConnectionsDir, 'multinic-multinic0.nmconnection');
    const before = await readFile(file);
    await node.exec(['systemctl', 'stop', 'NetworkManager']);
    try {
      let err: Error | undefined;
      await host.configure({ ...v4, address: '10.41.0.13', generation: v4.generation + 2 }, '/multinic/publisher').catch((e: Error) => { err = e; });
      expect(err?.message).to.match(/rolled back/);
      expect(await readFile(file)).to.deep.equal(before);
      expect(cidrsOf(await node.addrOf('multinic0'), { family: 'inet' })).to.deep.equal(['10.41.0.12/24']);
    } finally {
      await node.exec(['systemctl', 'start', 'NetworkManager']);
    }
    await pollUntil('NetworkManager answering again', async () => (await inNode(['nmcli', '-t', 'general', 'status'], { timeoutMs: 5_000, log: ring.log }).then(() => true, () => false)));
    await host.configure({ ...v4, address: '10.41.0.13', generation: v4.generation + 2 }, '/multinic/publisher');
    expect(cidrsOf(await node.addrOf('multinic0'), { family: 'inet' })).to.deep.equal(['10.41.0.13/24']);
  });

  it('detach removes the keyfile and leaves no address on the NIC', async () => {
    expect(await host.remove(v6.portId)).to.deep.equal({ name: 'multinic1', changed: true });
    await pollUntil('multinic1 without addresses', async () => cidrsOf(await node.addrOf('multinic1')).length === 0, { timeoutMs: 5_000 });
    expect((await readdir(node.nmConnectionsDir)).sort()).to.deep.equal([cloudInitKeyfile('ens3'), 'multinic-multinic0.nmconnection']);
    // Its .link file goes with it; a file named like ours without the marker stays.
    expect((await readdir(linkDir)).sort()).to.deep.equal(['10-multinic-multinic0.link', '10-multinic-multinic9.link']);
  });

  it('waits for a NIC that appears 2 s after the event', async () => {
    // Its own subnet: a second NIC in multinic0's 10.41.0.0/24 would take that subnet's traffic, which the kernel check refuses.
    const late = interfaceData({ macAddress: 'fa:16:3e:41:00:07', cidr: '10.43.0.0/24', address: '10.43.0.17', mtu: null });
    const plugged = node.plug({ mac: late.macAddress, afterMs: 2_000 });
    const started = Date.now();
    const change = await host.configure(late, '/multinic/publisher');
    await plugged;
    expect(Date.now() - started).to.be.greaterThan(1_500);
    expect(change.changed).to.equal(true);
    expect(cidrsOf(await node.addrOf(change.name), { family: 'inet' })).to.deep.equal(['10.43.0.17/24']);
  });

  it('a re-plugged NIC gets its address back from the keyfile at once, and its multinicN name from the next configure', async () => {
    const ifname = (await node.addr()).find((l) => l.address === v4.macAddress)!.ifname;
    expect(ifname).to.equal('multinic0');
    await node.unplug(v4.macAddress);
    const back = await node.plug({ mac: v4.macAddress });
    // NetworkManager matches the keyfile by MAC whatever the kernel calls the NIC (autoconnect).
    await pollUntil(`${back.ifname} with 10.41.0.13/24`, async () => cidrsOf(await node.addrOf(back.ifname), { family: 'inet' }).includes('10.41.0.13/24'), { timeoutMs: 10_000 });
    // On a real node udev names it from the .link file; the lab has no udev, so the resync's configure renames it.
    expect(await host.configure({ ...v4, address: '10.41.0.13', generation: v4.generation + 2 }, '/multinic/resync')).to.deep.equal({ name: 'multinic0', changed: true });
    const l = await node.addrOf('multinic0');
    expect(cidrsOf(l, { family: 'inet' })).to.deep.equal(['10.41.0.13/24']);
    expect(l?.mtu).to.equal(9000);
  });

  it('refuses an MTU IPv6 cannot carry before anything touches the node', async () => {
    const entries = (await readdir(node.nmConnectionsDir)).sort();
    // An MTU NM cannot carry over IPv6: refused before anything touches the node.
    const bad = interfaceData({ macAddress: 'fa:16:3e:41:00:09', cidr: 'fd00:41::/64', address: 'fd00:41::19', mtu: 1000 });
    await node.plug({ mac: bad.macAddress });
    let err: Error | undefined;
    await host.configure(bad, '/multinic/publisher').catch((e: Error) => { err = e; });
    expect(err?.message).to.match(/out of range for IPv6/);
    expect((await readdir(node.nmConnectionsDir)).sort()).to.deep.equal(entries);
  });

  describe('another profile claiming the NIC is refused, naming it, and nothing is written', () => {
    const refused = async (data: ReturnType<typeof interfaceData>, pattern: RegExp) => {
      const entries = (await readdir(node.nmConnectionsDir)).sort();
      let err: Error | undefined;
      await host.configure(data, '/multinic/publisher').catch((e: Error) => { err = e; });
      expect(err?.message).to.match(pattern);
      expect((await readdir(node.nmConnectionsDir)).sort()).to.deep.equal(entries);
    };

    it('a keyfile matching the MAC', async () => {
      const data = interfaceData({ macAddress: 'fa:16:3e:41:00:0a', cidr: '10.41.0.0/24', address: '10.41.0.20', mtu: null });
      const nic = await node.plug({ mac: data.macAddress });
      const path = join(node.nmConnectionsDir, 'ops-data.nmconnection');
      await writeFile(path, `[connection]\nid=ops data\ntype=ethernet\n[ethernet]\nmac-address=FA:16:3E:41:00:0A\n[ipv4]\nmethod=disabled\n`, { mode: 0o600 });
      try {
        await refused(data, new RegExp(`refusing ${nic.ifname} \\(MAC fa:16:3e:41:00:0a\\) as multinic\\d+: .*ops-data\\.nmconnection \\(ops data\\) matches MAC fa:16:3e:41:00:0a`));
      } finally {
        await rm(path);
      }
    });

    it('an ifcfg file naming the device', async () => {
      const data = interfaceData({ macAddress: 'fa:16:3e:41:00:0b', cidr: '10.41.0.0/24', address: '10.41.0.21', mtu: null });
      const nic = await node.plug({ mac: data.macAddress });
      const path = join(ifcfgDir, `ifcfg-${nic.ifname}`);
      await writeFile(path, `DEVICE="${nic.ifname}"\nBOOTPROTO=dhcp\nONBOOT=yes\n`);
      try {
        await refused(data, new RegExp(`ifcfg-${nic.ifname} \\(${nic.ifname}\\) names interface ${nic.ifname}`));
      } finally {
        await rm(path);
      }
    });

    it('a profile NetworkManager holds only in memory', async () => {
      const data = interfaceData({ macAddress: 'fa:16:3e:41:00:0c', cidr: '10.41.0.0/24', address: '10.41.0.22', mtu: null });
      const nic = await node.plug({ mac: data.macAddress });
      await inNode(['nmcli', 'connection', 'add', 'save', 'no', 'type', 'ethernet', 'con-name', 'volatile one', 'ifname', nic.ifname, 'autoconnect', 'no', 'ipv4.method', 'disabled', 'ipv6.method', 'disabled'], { timeoutMs: 10_000, log: ring.log });
      try {
        await refused(data, /\/run\/NetworkManager\/system-connections\/volatile one\.nmconnection \(volatile one\) names interface/);
      } finally {
        await inNode(['nmcli', 'connection', 'delete', 'volatile one'], { timeoutMs: 10_000, log: ring.log });
      }
    });
  });
});
