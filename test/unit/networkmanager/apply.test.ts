import { expect } from 'chai';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { OwnedFile } from '../../../src/host/backend.js';
import { CommandFailedError, type CommandRunner } from '../../../src/host/command.js';
import { createIpKernel } from '../../../src/host/kernel.js';
import { applyKeyfiles, type NmApplyContext } from '../../../src/host/networkmanager/apply.js';
import { keyfileNameFor, profileUuid, renderKeyfile } from '../../../src/host/networkmanager/render.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { FakeSysfs } from '../../../src/sandbox/fake-sysfs.js';
import { configuredFrom, interfaceData } from '../../helpers/builders.js';

/**
 * The order and choice of commands in one NetworkManager apply, with a scripted runner of
 * our own CommandRunner port (the real nmcli and ip run in test/lab/nm-backend.test.ts).
 */
describe('applyKeyfiles (scripted nmcli and ip)', () => {
  let sysfs: FakeSysfs;
  let calls: string[];
  /** UUID → device as `nmcli -t -f UUID,DEVICE connection show` answers after the reload. */
  let profiles: Map<string, string>;
  let failReapply: boolean;
  const { log } = createRingLogger('nm-apply');

  const run: CommandRunner = async (argv) => {
    const cmd = argv.join(' ');
    calls.push(cmd);
    if (cmd === 'ip link set dev ens4 name multinic0') await rename(join(sysfs.root, 'ens4'), join(sysfs.root, 'multinic0'));
    if (cmd.startsWith('nmcli device reapply') && failReapply) throw new CommandFailedError(argv, 1, null, "Error: Reapplying connection to device 'multinic0' failed: Can't reapply changes");
    const stdout = cmd === 'nmcli -t -f UUID,DEVICE connection show' ? [...profiles].map(([u, d]) => `${u}:${d}`).join('\n') : '';
    return { stdout, stderr: '', durationMs: 1 };
  };
  const ctx = (): NmApplyContext => ({ nmcli: ['nmcli'], kernel: createIpKernel({ ipCommand: ['ip'], run, log }), linkDir: '', sysfsNetDir: sysfs.root, timeoutMs: 1000, run, log });
  const iface = configuredFrom(interfaceData({ macAddress: 'fa:16:3e:00:00:04', cidr: '10.20.0.0/24', address: '10.20.0.11' }), 'multinic0');
  const owned = (): OwnedFile => ({ file: keyfileNameFor('multinic0'), path: `/x/${keyfileNameFor('multinic0')}`, content: Buffer.from(renderKeyfile(iface)), iface });
  const uuid = profileUuid('multinic0');

  beforeEach(async () => {
    sysfs = await FakeSysfs.create([{ name: 'ens4', mac: 'fa:16:3e:00:00:04' }]);
    calls = [];
    profiles = new Map([[uuid, '']]);
    failReapply = false;
  });
  afterEach(() => sysfs.cleanup());

  it('renames the NIC (down, name, up) before the reload, then activates the new profile', async () => {
    const applied = new Map<string, Buffer>();
    await applyKeyfiles(ctx(), [owned()], applied);
    expect(calls).to.deep.equal([
      'ip link set dev ens4 down', 'ip link set dev ens4 name multinic0', 'ip link set dev multinic0 up',
      'nmcli connection reload', 'nmcli -t -f UUID,DEVICE connection show', `nmcli connection up ${uuid}`,
    ]);
    expect(applied.get(keyfileNameFor('multinic0'))).to.deep.equal(owned().content);
  });

  it('touches nothing it already applied, and reapplies in place what is active but unknown', async () => {
    await rename(join(sysfs.root, 'ens4'), join(sysfs.root, 'multinic0'));
    profiles.set(uuid, 'multinic0');
    await applyKeyfiles(ctx(), [owned()], new Map([[keyfileNameFor('multinic0'), owned().content]]));
    expect(calls).to.deep.equal(['nmcli connection reload', 'nmcli -t -f UUID,DEVICE connection show']);
    calls = [];
    await applyKeyfiles(ctx(), [owned()], new Map());
    expect(calls.at(-1)).to.equal('nmcli device reapply multinic0');
  });

  it('activates the profile again when NetworkManager refuses to reapply in place', async () => {
    await rename(join(sysfs.root, 'ens4'), join(sysfs.root, 'multinic0'));
    profiles.set(uuid, 'multinic0');
    failReapply = true;
    await applyKeyfiles(ctx(), [owned()], new Map());
    expect(calls.slice(-2)).to.deep.equal(['nmcli device reapply multinic0', `nmcli connection up ${uuid}`]);
  });

  it('fails naming the keyfile NetworkManager did not load, before activating anything', async () => {
    profiles = new Map();
    let err: Error | undefined;
    await applyKeyfiles(ctx(), [owned()], new Map()).catch((e: Error) => { err = e; });
    expect(err?.message).to.match(/NetworkManager did not load multinic-multinic0\.nmconnection/);
    expect(calls.some((c) => c.includes('connection up') || c.includes('reapply'))).to.equal(false);
  });
});
