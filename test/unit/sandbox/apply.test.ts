import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfiguredInterface } from '../../../src/model/ports.js';
import { HostError } from '../../../src/errors/errors.js';
import { sandboxApply } from '../../../src/sandbox/apply.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { fileNameFor, renderInterface } from '../../../src/host/netplan/render.js';
import { FakeSysfs } from '../../helpers/fake-sysfs.js';

const iface = (name: string, macAddress: string, mtu: number | null): ConfiguredInterface => ({
  name, macAddress, portId: `p-${name}`, subnetId: 's', networkId: 'n', cidr: '10.0.0.0/24', address: '10.0.0.5', mtu, generation: 1, origin: 'o',
});

describe('host/sandbox-apply', () => {
  const { log } = createRingLogger();
  let dir: string;
  let sys: FakeSysfs;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multinic-sandbox-'));
    await mkdir(join(dir, 'netplan'));
    sys = await FakeSysfs.create([{ name: 'ens4', mac: 'fa:16:3e:00:00:04' }, { name: 'ens5', mac: 'fa:16:3e:00:00:05' }], dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function own(i: ConfiguredInterface): Promise<void> {
    await writeFile(join(dir, 'netplan', fileNameFor(i.name)), renderInterface(i), { mode: 0o600 });
  }

  it('renames the NIC matching each owned file to its set-name, writes mtu and operstate up', async () => {
    await own(iface('multinic0', 'fa:16:3e:00:00:04', 9000));
    await own(iface('multinic3', 'fa:16:3e:00:00:99', null));
    // Not ours: never acted on, even though it names a NIC.
    await writeFile(join(dir, 'netplan', '50-cloud-init.yaml'), 'network:\n  version: 2\n  ethernets:\n    x:\n      match: {macaddress: "fa:16:3e:00:00:05"}\n      set-name: hijack\n');
    const result = await sandboxApply({ netplanDir: join(dir, 'netplan'), sysfsDir: sys.root, log });
    expect(result).to.deep.equal({ renamed: [{ from: 'ens4', to: 'multinic0', mac: 'fa:16:3e:00:00:04' }], configured: ['multinic0'], missing: ['fa:16:3e:00:00:99'] });
    expect(await sys.read('multinic0', 'mtu')).to.equal('9000');
    expect(await sys.read('multinic0', 'operstate')).to.equal('up');
    expect(await sys.read('ens5', 'address')).to.equal('fa:16:3e:00:00:05');
  });

  it('refuses to rename onto a name another NIC holds, like the kernel', async () => {
    await sys.add({ name: 'multinic0', mac: 'fa:16:3e:00:00:aa' });
    await own(iface('multinic0', 'fa:16:3e:00:00:04', null));
    const err = await sandboxApply({ netplanDir: join(dir, 'netplan'), sysfsDir: sys.root, log }).then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(HostError);
    expect(await sys.read('ens4', 'address')).to.equal('fa:16:3e:00:00:04');
  });
});
