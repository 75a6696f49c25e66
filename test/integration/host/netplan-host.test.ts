import { expect } from 'chai';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InterfaceEventData } from '../../../src/events/types.js';
import { HostError, HostTransientError } from '../../../src/errors/errors.js';
import { classify, Verdict } from '../../../src/errors/classify.js';
import type { AddressReader } from '../../../src/host/addresses.js';
import { listBackups } from '../../../src/host/backup.js';
import { runCommand, type CommandRunner } from '../../../src/host/command.js';
import { NetplanHost, type NetplanHostDeps } from '../../../src/host/netplan/host.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { FakeSysfs } from '../../helpers/fake-sysfs.js';
import { SANDBOX, sandboxRunner } from '../../helpers/apply-runner.js';

const CLOUD_INIT = 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n      match:\n        macaddress: "fa:16:3e:00:00:01"\n      set-name: eth0\n';
const REPO = resolve(import.meta.dirname, '../../..');

const mac = (i: number) => `fa:16:3e:10:00:${i.toString(16).padStart(2, '0')}`;
function port(i: number, over: Partial<InterfaceEventData> = {}): InterfaceEventData {
  return {
    nodeName: 'worker-1', portId: `port-${i}`, macAddress: mac(i), subnetId: 'subnet-a', subnetName: 'a', networkId: 'net-a',
    cidr: '10.20.0.0/16', address: `10.20.0.${10 + i}`, mtu: 1450, crNamespace: null, crName: null, generation: 1000 + i, ...over,
  };
}

/** Every entry of a dir: name -> bytes (or link target) and mode; the byte-for-byte picture of /etc/netplan. */
async function picture(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    const st = await lstat(join(dir, name));
    out[name] = st.isSymbolicLink() ? `link mode=${st.mode & 0o777}` : `${(st.mode & 0o777).toString(8)} ${(await readFile(join(dir, name))).toString('base64')}`;
  }
  return out;
}

describe('NetplanHost on temp dirs (real netplan generate, sandbox apply)', function () {
  this.timeout(30_000);
  let root: string;
  let netplanDir: string;
  let backupDir: string;
  let sys: FakeSysfs;
  let applies: number;
  let foreign: Array<{ path: string; bytes: Buffer; mtimeMs: number }>;
  const ring = createRingLogger('host-test');
  const noAddresses: AddressReader = async () => [];

  /** The apply command, run in-process when it is the sandbox (fast), else for real (`false`, `sleep`). */
  const runner: CommandRunner = sandboxRunner(() => ({ netplanDir, sysfsDir: sys.root }), ring.log, () => applies++);

  function host(over: Partial<NetplanHostDeps> = {}): NetplanHost {
    return new NetplanHost({
      netplanDir, backupDir, backupKeep: 3, sysfsNetDir: sys.root, applyCommand: [SANDBOX], applyTimeoutMs: 5000,
      generateCommand: 'netplan', nicWaitMs: 300, allowTakeover: false, addresses: noAddresses, kernel: null, log: ring.log,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: () => new Date(), verifyTimeoutMs: 300, run: runner, tmpDir: root, ...over,
    });
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'multinic-host-'));
    netplanDir = join(root, 'etc', 'netplan');
    backupDir = join(root, 'backups');
    await mkdir(netplanDir, { recursive: true });
    sys = await FakeSysfs.create([{ name: 'eth0', mac: 'fa:16:3e:00:00:01', operstate: 'up' }, { name: 'ens4', mac: mac(1) }, { name: 'ens5', mac: mac(2) }], root);
    applies = 0;
    // Files MultiNIC does not own: the distro's, a symlink to elsewhere, and a link named like ours.
    await writeFile(join(netplanDir, '50-cloud-init.yaml'), CLOUD_INIT, { mode: 0o600 });
    await writeFile(join(root, 'shared.yaml'), 'network:\n  version: 2\n', { mode: 0o600 });
    await symlink(join(root, 'shared.yaml'), join(netplanDir, '60-shared.yaml'));
    await symlink(join(root, 'shared.yaml'), join(netplanDir, '90-multinic-multinic1.yaml'));
    foreign = [];
    for (const p of [join(netplanDir, '50-cloud-init.yaml'), join(root, 'shared.yaml')]) {
      foreign.push({ path: p, bytes: await readFile(p), mtimeMs: (await stat(p)).mtimeMs });
    }
  });

  afterEach(async () => {
    for (const f of foreign) {
      expect(await readFile(f.path), f.path).to.deep.equal(f.bytes);
      expect((await stat(f.path)).mtimeMs, f.path).to.equal(f.mtimeMs);
    }
    expect((await lstat(join(netplanDir, '60-shared.yaml'))).isSymbolicLink()).to.equal(true);
    expect((await lstat(join(netplanDir, '90-multinic-multinic1.yaml'))).isSymbolicLink()).to.equal(true);
    await rm(root, { recursive: true, force: true });
  });

  it('configures: writes a 0600 owned file validated by netplan generate, applies, verifies the rename', async () => {
    const h = host();
    const change = await h.configure(port(1), '/multinic/publisher');
    // multinic1 is skipped: a file not ours (a symlink) already has that name.
    expect(change).to.deep.equal({ name: 'multinic0', changed: true });
    const st = await stat(join(netplanDir, '90-multinic-multinic0.yaml'));
    expect(st.mode & 0o777).to.equal(0o600);
    expect(await sys.read('multinic0', 'address')).to.equal(mac(1));
    expect(await sys.read('multinic0', 'mtu')).to.equal('1450');
    expect(applies).to.equal(1);
    const [listed] = await h.listConfigured();
    expect(listed).to.include({ name: 'multinic0', portId: 'port-1', address: '10.20.0.11', origin: '/multinic/publisher', generation: 1001 });
  });

  it('a duplicate runs no apply and writes nothing, also when only generation/origin differ', async () => {
    const h = host();
    await h.configure(port(1), '/multinic/publisher');
    const before = await picture(netplanDir);
    const mtime = (await stat(join(netplanDir, '90-multinic-multinic0.yaml'))).mtimeMs;
    expect(await h.configure(port(1), '/multinic/publisher')).to.deep.equal({ name: 'multinic0', changed: false });
    expect(await h.configure(port(1, { generation: 5000 }), '/multinic/resync')).to.deep.equal({ name: 'multinic0', changed: false });
    expect(applies).to.equal(1);
    expect(await picture(netplanDir)).to.deep.equal(before);
    expect((await stat(join(netplanDir, '90-multinic-multinic0.yaml'))).mtimeMs).to.equal(mtime);
    expect(await listBackups(backupDir)).to.have.length(1);
  });

  it('an address change rewrites the same file and applies once more', async () => {
    const h = host();
    await h.configure(port(1), 'o');
    expect(await h.configure(port(1, { address: '10.20.0.99', generation: 2000 }), 'o')).to.deep.equal({ name: 'multinic0', changed: true });
    expect(applies).to.equal(2);
    expect(await readFile(join(netplanDir, '90-multinic-multinic0.yaml'), 'utf8')).to.contain('10.20.0.99/16');
  });

  it('configures IPv6 static and DHCP-only ports through the same validation', async () => {
    const h = host();
    expect(await h.configure(port(1, { cidr: '2001:db8:5::/64', address: '2001:db8:5::7', mtu: 1500 }), 'o')).to.include({ changed: true });
    expect(await h.configure(port(2, { address: null, mtu: null }), 'o')).to.include({ changed: true });
    const texts = await Promise.all(['90-multinic-multinic0.yaml', '90-multinic-multinic2.yaml'].map((f) => readFile(join(netplanDir, f), 'utf8')));
    expect(texts[0]).to.contain('2001:db8:5::7/64');
    expect(texts[1]).to.contain('dhcp4: true');
  });

  for (const [what, applyCommand, verdict] of [
    ['fails (exit 1)', ['false'], Verdict.DeadLetter],
    ['hangs past its timeout', ['sleep', '30'], Verdict.Retry],
  ] as const) {
    it(`an apply that ${what} is rolled back byte for byte and applied again`, async () => {
      await host().configure(port(1), 'o');
      const before = await picture(netplanDir);
      const bad = host({ applyCommand: [...applyCommand], applyTimeoutMs: 300 });
      applies = 0;
      const err = await bad.configure(port(1, { address: '10.20.0.77', generation: 3000 }), 'o').then(() => undefined, (e: Error) => e);
      expect(err).to.be.instanceOf(Error);
      expect(err!.message).to.match(/^rolled back/);
      expect(classify(err)).to.equal(verdict);
      expect(await picture(netplanDir)).to.deep.equal(before);
      expect(applies).to.equal(2); // the failed apply and the apply of the restored files
    });
  }

  it('never hands a name written for one MAC to another after a rollback; the MAC gets it back on retry', async () => {
    // One host for the whole story: its first apply fails (the file is rolled back), later ones succeed.
    let failNext = true;
    const flaky = host({
      run: async (argv, opts) => {
        if (failNext) {
          failNext = false;
          applies++;
          throw new HostError('apply failed (test)');
        }
        return runner(argv, opts);
      },
    });
    const err = await flaky.configure(port(1), 'o').then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/^rolled back/);
    expect(await flaky.listConfigured()).to.deep.equal([]);
    const other = await flaky.configure(port(2), 'o');
    expect(other.name).to.not.equal('multinic0');
    const retried = await flaky.configure(port(1), 'o');
    expect(retried.name).to.equal('multinic0');
  });

  it('rolls back when the NIC does not come up under its name after apply (a new file is removed again)', async () => {
    const before = await picture(netplanDir);
    const err = await host({ applyCommand: ['true'] }).configure(port(1), 'o').then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(HostTransientError);
    expect(err!.message).to.contain('expected multinic0');
    expect(await picture(netplanDir)).to.deep.equal(before);
  });

  it('rejects a configuration netplan refuses before touching anything (permanent)', async () => {
    await writeFile(join(netplanDir, '70-other.yaml'), 'network:\n  version: 2\n  ethernets:\n    x:\n      mtu: "lots"\n', { mode: 0o600 });
    const before = await picture(netplanDir);
    const err = await host().configure(port(1), 'o').then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(HostError);
    expect(err!.message).to.contain('70-other.yaml');
    expect(await picture(netplanDir)).to.deep.equal(before);
    expect(applies).to.equal(0);
  });

  it('waits for a NIC hot-plugged after the event; a MAC that never appears fails transiently and configures nothing', async () => {
    const h = host({ nicWaitMs: 5000 });
    setTimeout(() => void sys.add({ name: 'ens9', mac: mac(9) }), 150);
    expect(await h.configure(port(9), 'o')).to.deep.equal({ name: 'multinic0', changed: true });
    const before = await picture(netplanDir);
    const err = await host().configure(port(42), 'o').then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(HostTransientError);
    expect(await picture(netplanDir)).to.deep.equal(before);
  });

  it('refuses to take over an up NIC with foreign addresses, unless allowed', async () => {
    await sys.remove('ens4');
    await sys.add({ name: 'ens4', mac: mac(1), operstate: 'up' });
    const addresses: AddressReader = async (ifname) => (ifname === 'ens4' ? ['192.168.7.5/24'] : []);
    const err = await host({ addresses }).configure(port(1), 'o').then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(HostError);
    expect(err!.message).to.contain('refusing to take over ens4');
    expect(applies).to.equal(0);
    expect(await host({ addresses, allowTakeover: true }).configure(port(1), 'o')).to.include({ changed: true });
  });

  it('keeps only backupKeep backups', async () => {
    const h = host();
    for (let g = 0; g < 5; g++) await h.configure(port(1, { generation: g, mtu: 1400 + g }), 'o');
    const kept = await listBackups(backupDir);
    expect(kept).to.have.length(3);
    // The newest backup holds the state before the last change: mtu 1403.
    const files = await readdir(join(backupDir, kept[2]));
    expect(await readFile(join(backupDir, kept[2], files[0]), 'utf8')).to.contain('mtu: 1403');
  });

  it('remove deletes only that port\'s file, applies, and is a no-op when absent', async () => {
    const h = host();
    await h.configure(port(1), 'o');
    await h.configure(port(2), 'o');
    expect(await h.remove('port-1')).to.deep.equal({ name: 'multinic0', changed: true });
    expect((await h.listConfigured()).map((i) => i.portId)).to.deep.equal(['port-2']);
    expect(applies).to.equal(3);
    expect(await h.remove('port-1')).to.deep.equal({ name: null, changed: false });
    expect(await h.remove('never-seen')).to.deep.equal({ name: null, changed: false });
    expect(applies).to.equal(3);
  });

  it('moves a port to its new MAC, removing the old file', async () => {
    const h = host();
    await h.configure(port(1), 'o');
    const moved = await h.configure(port(1, { macAddress: mac(2), generation: 9000 }), 'o');
    expect(moved).to.deep.equal({ name: 'multinic2', changed: true });
    const listed = await h.listConfigured();
    expect(listed.map((i) => [i.name, i.macAddress])).to.deep.equal([['multinic2', mac(2)]]);
  });

  it('names stay stable across a restart and past ten NICs, with concurrent configures serialized', async () => {
    for (let i = 3; i <= 14; i++) await sys.add({ name: `ens${i + 10}`, mac: mac(i) });
    const first = host();
    const names = await Promise.all(Array.from({ length: 14 }, (_, k) => first.configure(port(k + 1), 'o')));
    const byPort = Object.fromEntries(names.map((n, k) => [`port-${k + 1}`, n.name]));
    expect(new Set(Object.values(byPort)).size).to.equal(14);
    expect(Object.values(byPort)).to.include('multinic14').and.not.include('multinic1');
    const restarted = host();
    for (let k = 1; k <= 14; k++) expect(await restarted.configure(port(k), 'o')).to.deep.equal({ name: byPort[`port-${k}`], changed: false });
    expect(applies).to.equal(14);
  });

  it('notices an owned file edited in place behind its back: the next duplicate rewrites it', async () => {
    const h = host();
    await h.configure(port(1), 'o');
    const path = join(netplanDir, '90-multinic-multinic0.yaml');
    const ours = await readFile(path);
    // Same owned header, different body: still ours, no longer what the port needs.
    await writeFile(path, Buffer.concat([ours, Buffer.from('# edited by hand\n')]), { mode: 0o600 });
    expect(await h.configure(port(1), 'o')).to.deep.equal({ name: 'multinic0', changed: true });
    expect(await readFile(path)).to.deep.equal(ours);
    expect(applies).to.equal(2);
  });

  it('notices a file named like ours created after it read the directory, and never overwrites it', async () => {
    const h = host();
    await h.configure(port(1), 'o');
    // In a later kernel tick than the host's own write, as a person's or a tool's edit would be.
    await new Promise((r) => setTimeout(r, 15));
    await writeFile(join(netplanDir, '90-multinic-multinic2.yaml'), 'network:\n  version: 2\n', { mode: 0o600 });
    foreign.push({ path: join(netplanDir, '90-multinic-multinic2.yaml'), bytes: await readFile(join(netplanDir, '90-multinic-multinic2.yaml')), mtimeMs: (await stat(join(netplanDir, '90-multinic-multinic2.yaml'))).mtimeMs });
    expect(await h.configure(port(2), 'o')).to.deep.equal({ name: 'multinic3', changed: true });
  });

  it('applies through the real `multinic sandbox-apply` command', async () => {
    const applyCommand = [process.execPath, join(REPO, 'bin', 'multinic.js'), 'sandbox-apply', '--netplan-dir', netplanDir, '--sysfs-dir', sys.root];
    const change = await host({ applyCommand, run: runCommand, verifyTimeoutMs: 2000 }).configure(port(2), 'o');
    expect(change).to.deep.equal({ name: 'multinic0', changed: true });
    expect(await sys.read('multinic0', 'operstate')).to.equal('up');
  });
});
