import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors/errors.js';
import { agentSandbox, plugFakeNic, prepareAgentSandbox, withFakeHotPlug } from '../../../src/sandbox/agent-sandbox.js';
import type { InterfaceHost } from '../../../src/model/ports.js';

describe('agent sandbox (multinic agent --sandbox DIR)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cm-sandbox-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('keeps everything under DIR', () => {
    expect(agentSandbox(join(dir, 'w1'))).to.deep.equal({ dir: join(dir, 'w1'), netplanDir: join(dir, 'w1', 'etc', 'netplan'), backupDir: join(dir, 'w1', 'backups'), sysfsDir: join(dir, 'w1', 'sys-class-net') });
  });

  for (const bad of ['/', '/etc', '/etc/', '/sys/class/net', '/proc/1', '/dev/shm', '/var', '/usr', '/run', '/etc/../etc', '.././../../../../../../']) {
    it(`refuses ${JSON.stringify(bad)} as DIR, naming --sandbox`, () => {
      expect(() => agentSandbox(bad)).to.throw(ConfigError, /^--sandbox: .* is a system folder/);
    });
  }

  it('plugs a NIC per MAC once, as ensN from 4, and the hot-plugging host plugs before configuring', async () => {
    const sb = agentSandbox(join(dir, 'w1'));
    await prepareAgentSandbox(sb);
    expect(await plugFakeNic(sb.sysfsDir, 'fa:16:3e:00:00:01')).to.equal('ens4');
    expect(await plugFakeNic(sb.sysfsDir, 'FA:16:3E:00:00:01'), 'already there (any case)').to.equal(null);
    expect(await plugFakeNic(sb.sysfsDir, 'fa:16:3e:00:00:02')).to.equal('ens5');
    expect((await readFile(join(sb.sysfsDir, 'ens5', 'address'), 'utf8')).trim()).to.equal('fa:16:3e:00:00:02');
    const seen: string[] = [];
    const inner: InterfaceHost = {
      configure: async (data) => (seen.push((await readdir(sb.sysfsDir)).sort().join(',')), { name: 'multinic0', changed: true }),
      remove: async () => ({ name: null, changed: false }),
      listConfigured: async () => [],
    };
    const host = withFakeHotPlug(inner, sb.sysfsDir, { info: () => undefined });
    await host.configure({ macAddress: 'fa:16:3e:00:00:03' } as never, 'test');
    expect(seen).to.deep.equal(['ens4,ens5,ens6']);
  });
});
