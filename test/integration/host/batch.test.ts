import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InterfaceEventData } from '../../../src/events/types.js';
import { HostError } from '../../../src/errors/errors.js';
import { NetplanHost, type NetplanHostDeps } from '../../../src/host/netplan/host.js';
import { createRingLogger } from '../../../src/log/logger.js';
import type { HostBatchChange } from '../../../src/model/ports.js';
import { FakeSysfs } from '../../helpers/fake-sysfs.js';
import { SANDBOX, sandboxRunner } from '../../helpers/apply-runner.js';

const mac = (i: number) => `fa:16:3e:20:00:${i.toString(16).padStart(2, '0')}`;
function port(i: number, over: Partial<InterfaceEventData> = {}): InterfaceEventData {
  return {
    nodeName: 'worker-1', portId: `port-${i}`, macAddress: mac(i), subnetId: `subnet-${i}`, subnetName: 'a', networkId: 'net-a',
    cidr: `10.${30 + i}.0.0/16`, address: `10.${30 + i}.0.10`, mtu: 1450, crNamespace: null, crName: null, generation: 1000 + i, ...over,
  };
}
const configure = (data: InterfaceEventData): HostBatchChange => ({ op: 'configure', data, origin: '/multinic/publisher' });

describe('ManagedHost.applyBatch (NetplanHost on temp dirs, real netplan generate, sandbox apply)', function () {
  this.timeout(30_000);
  let root: string;
  let netplanDir: string;
  let sys: FakeSysfs;
  let applies: number;
  let generateLog: string;
  const ring = createRingLogger('batch-test');

  const runner = sandboxRunner(() => ({ netplanDir, sysfsDir: sys.root }), ring.log, () => applies++);

  function host(over: Partial<NetplanHostDeps> = {}): NetplanHost {
    return new NetplanHost({
      netplanDir, backupDir: join(root, 'backups'), backupKeep: 3, sysfsNetDir: sys.root, applyCommand: [SANDBOX], applyTimeoutMs: 5000,
      generateCommand: join(root, 'netplan-counting'), nicWaitMs: 200, allowTakeover: false, addresses: async () => [], log: ring.log,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: () => new Date(), verifyTimeoutMs: 300, run: runner, tmpDir: root, kernel: null, ...over,
    });
  }
  const generateRuns = async () => (await readFile(generateLog, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  const owned = async () => (await readdir(netplanDir)).filter((f) => f.startsWith('90-multinic-')).sort();

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'bt-batch-'));
    netplanDir = join(root, 'etc', 'netplan');
    await mkdir(netplanDir, { recursive: true });
    sys = await FakeSysfs.create([1, 2, 3].map((i) => ({ name: `ens${i + 3}`, mac: mac(i) })), root);
    applies = 0;
    // The real netplan, counted: one line per validation run.
    generateLog = join(root, 'generate-runs');
    await writeFile(join(root, 'netplan-counting'), `#!/bin/sh\necho run >> '${generateLog}'\nexec netplan "$@"\n`);
    await chmod(join(root, 'netplan-counting'), 0o700);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('configures three interfaces with one validation and one apply, each verified', async () => {
    const results = await host().applyBatch([1, 2, 3].map((i) => configure(port(i))));
    expect(results).to.deep.equal([0, 1, 2].map((n) => ({ ok: true, name: `multinic${n}`, changed: true })));
    expect(applies).to.equal(1);
    expect(await generateRuns()).to.equal(1);
    expect(await owned()).to.deep.equal(['90-multinic-multinic0.yaml', '90-multinic-multinic1.yaml', '90-multinic-multinic2.yaml']);
    for (const n of [0, 1, 2]) expect(await sys.read(`multinic${n}`, 'address')).to.equal(mac(n + 1));
  });

  it('fails a change whose NIC never appears alone; the others are applied together', async () => {
    const results = await host().applyBatch([configure(port(1)), configure(port(9)), configure(port(2))]);
    expect(results[0]).to.deep.equal({ ok: true, name: 'multinic0', changed: true });
    expect(results[1]!.ok).to.equal(false);
    expect(String((results[1] as { error: Error }).error.message)).to.contain(mac(9));
    expect(results[2]).to.deep.equal({ ok: true, name: 'multinic1', changed: true });
    expect(applies).to.equal(1);
  });

  it('configures and removes in one batch, in order; a duplicate in the batch costs no second apply', async () => {
    const h = host();
    await h.applyBatch([configure(port(1)), configure(port(2))]);
    const results = await h.applyBatch([configure(port(3)), { op: 'remove', portId: 'port-1' }, configure(port(3)), { op: 'remove', portId: 'port-7' }]);
    expect(results).to.deep.equal([
      { ok: true, name: 'multinic2', changed: true },
      { ok: true, name: 'multinic0', changed: true },
      // Planned again against the batch's own candidate: the same file, applied by the same apply.
      { ok: true, name: 'multinic2', changed: true },
      { ok: true, name: null, changed: false },
    ]);
    expect(applies).to.equal(2);
    expect(await owned()).to.deep.equal(['90-multinic-multinic1.yaml', '90-multinic-multinic2.yaml']);
    expect((await h.listConfigured()).map((c) => c.portId)).to.deep.equal(['port-2', 'port-3']);
  });

  it('a port removed and another configured for the same NIC in one batch: the MAC keeps its name and file', async () => {
    const h = host();
    await h.applyBatch([configure(port(1))]);
    const results = await h.applyBatch([{ op: 'remove', portId: 'port-1' }, configure(port(4, { macAddress: mac(1) }))]);
    expect(results).to.deep.equal([
      { ok: true, name: 'multinic0', changed: true },
      { ok: true, name: 'multinic0', changed: true },
    ]);
    expect(await owned()).to.deep.equal(['90-multinic-multinic0.yaml']);
    expect((await h.listConfigured()).map((c) => c.portId)).to.deep.equal(['port-4']);
    expect(applies).to.equal(2);
  });

  it('rolls the whole batch back when its one apply fails, and throws', async () => {
    const h = host();
    await h.applyBatch([configure(port(1))]);
    const before = await readFile(join(netplanDir, '90-multinic-multinic0.yaml'));
    applies = 0;
    const failing = host({ applyCommand: ['false'] });
    const err = await failing.applyBatch([configure(port(2)), configure(port(1, { address: '10.31.0.99', generation: 2000 })), configure(port(3))]).then(
      () => expect.fail('the batch should have thrown'),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(HostError);
    expect((err as Error).message).to.contain('rolled back');
    // The apply, then the apply of the restored files.
    expect(applies).to.equal(2);
    expect(await owned()).to.deep.equal(['90-multinic-multinic0.yaml']);
    expect(await readFile(join(netplanDir, '90-multinic-multinic0.yaml'))).to.deep.equal(before);
  });

  it('validates the batch as one candidate: when netplan rejects it, the whole batch fails before anything is written', async () => {
    const h = host();
    // Someone else's broken file: netplan generate rejects any candidate that includes it.
    await writeFile(join(netplanDir, '70-broken.yaml'), 'network:\n  version: 2\n  ethernets: [\n', { mode: 0o600 });
    const err = await h.applyBatch([configure(port(1)), configure(port(2))]).then(
      () => expect.fail('the batch should have thrown'),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(HostError);
    expect((err as Error).message).to.contain('70-broken.yaml');
    expect(await generateRuns()).to.equal(1);
    expect(applies).to.equal(0);
    expect(await owned()).to.deep.equal([]);
  });
});
