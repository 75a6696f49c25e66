import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandFailedError, type CommandRunner } from '../../../src/host/command.js';
import type { Kernel } from '../../../src/host/kernel.js';
import { createNetplanBackend } from '../../../src/host/netplan/backend.js';
import { renderInterface } from '../../../src/host/netplan/render.js';
import { targetedApply } from '../../../src/host/netplan/targeted-apply.js';
import { createRingLogger } from '../../../src/log/logger.js';

const FOREIGN = 'network:\n  version: 2\n  ethernets:\n    ens3:\n      match: {macaddress: "fa:16:3e:00:01:03"}\n      set-name: ens3\n      addresses: [10.0.0.5/24]\n';
const iface = (name: string, mac: string, address: string) => ({ name, macAddress: mac, portId: `p-${name}`, subnetId: 's', networkId: 'n', cidr: '10.20.0.0/24', address, mtu: 9000, generation: 1, origin: 'test' });

/** The targeted apply with the real `netplan generate` on temp directories; commands and renames recorded. */
describe('host/netplan targeted apply (real netplan generate, recorded networkctl and ip)', () => {
  let root: string;
  let netplanDir: string;
  let runDir: string;
  let calls: string[];
  const { log } = createRingLogger();
  const kernel: Kernel = { read: async () => ({ links: [], routes: [] }), deleteAddress: async () => undefined, rename: async (from, to) => void calls.push(`rename ${from} ${to}`), up: async (name) => void calls.push(`up ${name}`) };
  const run: CommandRunner = async (argv) => (calls.push(argv.join(' ')), { stdout: '', stderr: '', durationMs: 1 });
  const options = () => ({ netplanDir, generateCommand: 'netplan', networkdRunDir: runDir, networkctlCommand: ['networkctl'], kernel, timeoutMs: 10_000, run, tmpDir: root });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'kn-targeted-'));
    netplanDir = join(root, 'etc-netplan');
    runDir = join(root, 'run-network');
    await mkdir(netplanDir);
    await mkdir(runDir);
    await writeFile(join(netplanDir, '50-cloud-init.yaml'), FOREIGN, { mode: 0o600 });
    calls = [];
  });
  afterEach(async () => { await rm(root, { recursive: true, force: true }); });

  it('copies only changed netplan units (unchanged ones keep their mtime), removes vanished ones, renames, then reloads', async () => {
    // What the host runs now: the primary's units (generated from the same foreign file), a stale unit, someone else's file.
    await writeFile(join(netplanDir, '90-multinic-multinic0.yaml'), renderInterface(iface('multinic0', 'fa:16:3e:00:10:04', '10.20.0.11')), { mode: 0o600 });
    await targetedApply(options(), { renames: [], interfaces: [], rollback: false }, log);
    const old = new Date('2026-01-01T00:00:00Z');
    for (const f of await readdir(runDir)) await utimes(join(runDir, f), old, old);
    await writeFile(join(runDir, '10-netplan-multinic7.network'), '[Match]\nName=multinic7\n');
    await writeFile(join(runDir, '99-operator.network'), '[Match]\nName=eth9\n');
    await writeFile(join(netplanDir, '90-multinic-multinic1.yaml'), renderInterface(iface('multinic1', 'fa:16:3e:00:10:05', '10.20.0.12')), { mode: 0o600 });
    calls = [];

    const done = await targetedApply(options(), { renames: [{ from: 'ens5', to: 'multinic1' }], interfaces: ['multinic1'], rollback: false }, log);
    expect(done).to.deep.equal({ written: ['10-netplan-multinic1.link', '10-netplan-multinic1.network'], removed: ['10-netplan-multinic7.network'], reconfigured: [] });
    expect(calls).to.deep.equal(['rename ens5 multinic1', 'networkctl reload']);
    for (const f of ['10-netplan-ens3.network', '10-netplan-multinic0.network']) expect((await stat(join(runDir, f))).mtime.toISOString(), f).to.equal(old.toISOString());
    expect(await readFile(join(runDir, '99-operator.network'), 'utf8')).to.include('eth9');
    expect(await readFile(join(runDir, '10-netplan-multinic1.network'), 'utf8')).to.match(/Address=10\.20\.0\.12\/24/);
    expect((await stat(join(runDir, '10-netplan-multinic1.network'))).mode & 0o777).to.equal(0o644);
  });

  it('reconfigures a NIC whose unit did not change when it was renamed or is rolled back', async () => {
    await writeFile(join(netplanDir, '90-multinic-multinic0.yaml'), renderInterface(iface('multinic0', 'fa:16:3e:00:10:04', '10.20.0.11')), { mode: 0o600 });
    await targetedApply(options(), { renames: [], interfaces: ['multinic0'], rollback: false }, log);
    calls = [];
    await targetedApply(options(), { renames: [{ from: 'ens42', to: 'multinic0' }], interfaces: ['multinic0'], rollback: false }, log);
    await targetedApply(options(), { renames: [], interfaces: ['multinic0', 'multinic5'], rollback: true }, log);
    expect(calls).to.deep.equal(['rename ens42 multinic0', 'networkctl reload', 'networkctl reconfigure multinic0', 'networkctl reload', 'networkctl reconfigure multinic0']);
  });

  it('reuses the validation\'s output when the directory holds exactly what was validated, and generates again otherwise', async () => {
    const files = new Map([['50-cloud-init.yaml', Buffer.from(FOREIGN)]]);
    const validated = { files, networkd: { '10-netplan-ens3.network': '[Match]\nName=ens3\n' } };
    const noGenerate = { ...options(), generateCommand: '/nonexistent/netplan', validated };
    expect(await targetedApply(noGenerate, { renames: [], interfaces: [], rollback: false }, log)).to.deep.include({ written: ['10-netplan-ens3.network'] });
    await writeFile(join(netplanDir, '90-multinic-multinic0.yaml'), renderInterface(iface('multinic0', 'fa:16:3e:00:10:04', '10.20.0.11')), { mode: 0o600 });
    const err = await targetedApply(noGenerate, { renames: [], interfaces: [], rollback: false }, log).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/cannot be run \(ENOENT\)/);
  });

  it('the backend falls back to NETPLAN_APPLY_COMMAND when a targeted step fails, and uses it alone without a kernel', async () => {
    const failing: CommandRunner = async (argv) => {
      calls.push(argv.join(' '));
      if (argv[0] === 'networkctl') throw new CommandFailedError(argv, 1, null, 'Failed to reload network settings');
      return { stdout: '', stderr: '', durationMs: 1 };
    };
    const base = { netplanDir, applyCommand: ['netplan', 'apply'], applyTimeoutMs: 10_000, generateCommand: 'netplan', applyMethod: 'targeted' as const, networkdRunDir: runDir, networkctlCommand: ['networkctl'], run: failing, tmpDir: root };
    const change = { renames: [], interfaces: ['multinic0'], rollback: false };
    await createNetplanBackend({ ...base, kernel }).apply(log, change);
    expect(calls).to.deep.equal(['networkctl reload', 'netplan apply']);
    calls = [];
    await createNetplanBackend({ ...base, kernel: null }).apply(log, change);
    expect(calls).to.deep.equal(['netplan apply']);
  });
});
