import { expect } from 'chai';
import { mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfiguredInterface } from '../../../src/model/ports.js';
import { HostError } from '../../../src/errors/errors.js';
import { assertStillOurs, OwnedFileCache, ownedRecord } from '../../../src/host/owned-cache.js';
import { readOwnedFiles } from '../../../src/host/netplan/owned-files.js';
import { fileNameFor, renderInterface } from '../../../src/host/netplan/render.js';

const iface = (n: number, address = `10.0.0.${n + 10}`): ConfiguredInterface => ({
  name: `multinic${n}`, macAddress: `fa:16:3e:00:00:0${n}`, portId: `port-${n}`, subnetId: 's', networkId: 'n',
  cidr: '10.0.0.0/24', address, mtu: null, generation: 1, origin: 'o',
});

const tick = () => new Promise((r) => setTimeout(r, 15));

describe('host/owned-cache', () => {
  let dir: string;
  let t: number;
  let cache: OwnedFileCache;
  const write = (i: ConfiguredInterface) => writeFile(join(dir, fileNameFor(i.name)), renderInterface(i), { mode: 0o600 });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multinic-cache-'));
    t = 0;
    cache = new OwnedFileCache({ dir, read: () => readOwnedFiles(dir), now: () => t, maxAgeMs: 1000 });
    await write(iface(0));
    await writeFile(join(dir, '50-cloud-init.yaml'), 'network: {}\n');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('answers from memory while nothing changed on disk', async () => {
    const first = await cache.get();
    expect(first.owned.map((o) => o.file)).to.deep.equal(['90-multinic-multinic0.yaml']);
    expect([...first.entries].sort()).to.deep.equal(['50-cloud-init.yaml', '90-multinic-multinic0.yaml']);
    expect(await cache.get()).to.equal(first);
  });

  it('reads again when a file is added, removed, edited in place, or the view is too old', async () => {
    const first = await cache.get();
    // Timestamps move in kernel ticks (a few ms): a change in the same tick as the read is only caught by size.
    await tick();
    await write(iface(1));
    const added = await cache.get();
    expect(added).to.not.equal(first);
    expect(added.owned.map((o) => o.iface.name)).to.deep.equal(['multinic0', 'multinic1']);

    await tick();
    await write(iface(1, '10.0.0.199'));
    const edited = await cache.get();
    expect(edited.owned[1]!.iface.address).to.equal('10.0.0.199');

    await tick();
    await unlink(join(dir, fileNameFor('multinic0')));
    expect((await cache.get()).owned.map((o) => o.iface.name)).to.deep.equal(['multinic1']);

    const settled = await cache.get();
    t = 1000;
    expect(await cache.get()).to.not.equal(settled);
  });

  it('keeps what the host records after its own change, until the disk says otherwise', async () => {
    const before = await cache.get();
    await write(iface(1));
    const written = ownedRecord(dir, fileNameFor('multinic1'), await readFile(join(dir, fileNameFor('multinic1'))), iface(1));
    await cache.replace([...before.owned, written], [...before.entries, written.file]);
    const view = await cache.get();
    expect(view.owned.map((o) => o.file)).to.deep.equal([fileNameFor('multinic0'), fileNameFor('multinic1')]);
    await tick();
    await symlink('/etc/hostname', join(dir, fileNameFor('multinic5')));
    expect((await cache.get()).entries).to.include(fileNameFor('multinic5'));
  });

  it('invalidate forces a read from disk', async () => {
    const first = await cache.get();
    cache.invalidate();
    expect(await cache.get()).to.not.equal(first);
  });

  it('assertStillOurs refuses a file whose bytes are not what was read, a symlink, or a missing file', async () => {
    const [owned] = (await cache.get()).owned;
    await assertStillOurs(owned!);
    await writeFile(owned!.path, renderInterface(iface(0, '10.0.0.77')));
    const changed = await assertStillOurs(owned!).catch((e: unknown) => e);
    expect(changed).to.be.instanceOf(HostError);
    expect(await readFile(owned!.path, 'utf8')).to.contain('10.0.0.77');

    await unlink(owned!.path);
    expect(await assertStillOurs(owned!).catch((e: unknown) => e)).to.be.instanceOf(HostError);
    await symlink(join(dir, '50-cloud-init.yaml'), owned!.path);
    expect(await assertStillOurs(owned!).catch((e: unknown) => e)).to.be.instanceOf(HostError);
  });
});
