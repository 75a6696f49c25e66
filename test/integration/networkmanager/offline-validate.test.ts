import { expect } from 'chai';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../../src/host/command.js';
import { createIpKernel } from '../../../src/host/kernel.js';
import { chooseBackend } from '../../../src/host/detect-backend.js';
import { createNetworkManagerBackend } from '../../../src/host/networkmanager/backend.js';
import { checkNormalised } from '../../../src/host/networkmanager/check-normalised.js';
import { renderKeyfile } from '../../../src/host/networkmanager/render.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { configuredFrom, interfaceData } from '../../helpers/builders.js';

/**
 * NetworkManager's own keyfile reader (`nmcli --offline`, NetworkManager 1.42 from Debian,
 * no daemon needed) against MultiNIC's keyfiles: what it accepts, and what it silently
 * changes that checkNormalised must catch (NETWORKMANAGER.md §5).
 */
describe('NetworkManager keyfiles through the real `nmcli --offline` (no daemon)', function () {
  this.timeout(30_000);
  const { log } = createRingLogger('nm-offline');
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nm-offline-'));
    // A test that needs nmcli fails, naming it, rather than skipping.
    await runCommand(['nmcli', '--version'], { timeoutMs: 5_000, log }).catch((err: Error) => {
      throw new Error(`nmcli is needed (apt-get install --no-install-recommends network-manager): ${err.message}`);
    });
  });
  after(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  const normalise = async (text: string) => (await runCommand(['nmcli', '--offline', 'connection', 'modify'], { timeoutMs: 10_000, log, input: text.split('\n').slice(2).join('\n') })).stdout;
  const cases = [
    interfaceData({ cidr: '10.20.0.0/24', address: '10.20.0.11', mtu: 9000 }),
    interfaceData({ cidr: '10.20.0.0/24', address: null, mtu: null }),
    interfaceData({ cidr: 'fd00:20::/64', address: 'fd00:20::11', mtu: 1400 }),
    interfaceData({ cidr: 'fd00:20::/64', address: null, mtu: 9216 }),
  ];

  for (const data of cases) {
    it(`NM reads ${data.cidr} ${data.address ?? 'DHCP'} mtu ${data.mtu} exactly as rendered`, async () => {
      const iface = configuredFrom(data, 'multinic7');
      checkNormalised(iface, await normalise(renderKeyfile(iface)));
    });
  }

  it('catches what NM drops without a word: a bad MAC (the profile would match every NIC), MTU, never-default, a missing section; and a changed address', async () => {
    const iface = configuredFrom(cases[0]!, 'multinic7');
    const good = renderKeyfile(iface);
    const tamper: Array<[string, string, RegExp]> = [
      ['mac-address=FA:16:3E', 'mac-address=ZZ:16:3E', /ethernet\.mac-address/],
      ['mtu=9000', 'mtu=jumbo', /ethernet\.mtu is \(absent\)/],
      ['never-default=true', 'never-default=maybe', /ipv4\.never-default/],
      // Without the section NM turns IPv6 on with SLAAC, which would accept router advertisements.
      ['[ipv6]\nmethod=disabled', '', /ipv6\.method is "auto", expected "disabled"/],
      ['address1=10.20.0.11/24', 'address1=10.20.0.12/24', /ipv4\.address1 is "10\.20\.0\.12\/24", expected "10\.20\.0\.11\/24"/],
    ];
    for (const [from, to, why] of tamper) {
      const out = await normalise(good.replace(from, to));
      expect(() => checkNormalised(iface, out), to).to.throw(why);
    }
  });

  it('the backend validates with NM\'s reader and refuses what NM rejects outright, naming it, with the daemon down', async () => {
    const sys = await mkdtemp(join(tmpdir(), 'nm-offline-sys-'));
    after(() => rm(sys, { recursive: true, force: true }));
    const backend = createNetworkManagerBackend({ connectionsDir: dir, ifcfgDir: join(dir, 'none'), linkDir: '', nmcliCommand: ['nmcli'], kernel: createIpKernel({ ipCommand: ['ip'], log }), applyTimeoutMs: 10_000, sysfsNetDir: sys, log });
    const iface = configuredFrom(cases[2]!, 'multinic2');
    await backend.validate({ write: { file: 'multinic-multinic2.nmconnection', content: backend.render(iface), iface }, remove: [] });
    const broken = Buffer.from(renderKeyfile(iface).replace('method=manual', 'method=static'));
    let err: Error | undefined;
    await backend.validate({ write: { file: 'multinic-multinic2.nmconnection', content: broken, iface }, remove: [] }).catch((e: Error) => { err = e; });
    expect(err?.message).to.match(/ipv6\.method: property is invalid/);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('a batch: every keyfile in `writes` goes through NM\'s reader, not only `write`; the broken second one is refused', async () => {
    const sys = await mkdtemp(join(tmpdir(), 'nm-offline-sys-'));
    after(() => rm(sys, { recursive: true, force: true }));
    const backend = createNetworkManagerBackend({ connectionsDir: dir, ifcfgDir: join(dir, 'none'), linkDir: '', nmcliCommand: ['nmcli'], kernel: createIpKernel({ ipCommand: ['ip'], log }), applyTimeoutMs: 10_000, sysfsNetDir: sys, log });
    const first = configuredFrom(cases[0]!, 'multinic3');
    const second = configuredFrom(cases[2]!, 'multinic4');
    const good = { file: 'multinic-multinic3.nmconnection', content: backend.render(first), iface: first };
    const broken = { file: 'multinic-multinic4.nmconnection', content: Buffer.from(renderKeyfile(second).replace('method=manual', 'method=static')), iface: second };
    await backend.validate({ writes: [good, { ...broken, content: backend.render(second) }], remove: [] });
    let err: Error | undefined;
    await backend.validate({ writes: [good, broken], remove: [] }).catch((e: Error) => { err = e; });
    expect(err?.message).to.match(/ipv6\.method: property is invalid/);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  describe('chooseBackend', () => {
    const opts = (netplanDir: string) => ({ netplanDir, nmcliCommand: ['nmcli'], run: runCommand, timeoutMs: 10_000, log });

    it('takes AGENT_BACKEND as given', async () => {
      expect(await chooseBackend('networkmanager', opts(dir))).to.deep.equal({ backend: 'networkmanager', reason: 'AGENT_BACKEND=networkmanager' });
    });

    it('picks netplan when NETPLAN_DIR holds a *.yaml, naming it', async () => {
      const np = await mkdtemp(join(tmpdir(), 'nm-detect-'));
      try {
        await writeFile(join(np, '50-cloud-init.yaml'), 'network: {version: 2}\n');
        expect(await chooseBackend('auto', opts(np))).to.deep.equal({ backend: 'netplan', reason: `${np} holds 50-cloud-init.yaml` });
      } finally {
        await rm(np, { recursive: true, force: true });
      }
    });

    it('falls back to netplan, saying why, when there is no netplan file and NetworkManager is not running (this machine)', async () => {
      const choice = await chooseBackend('auto', opts(join(dir, 'no-netplan')));
      expect(choice.backend).to.equal('netplan');
      expect(choice.reason).to.match(/NetworkManager is not running \(.+\): netplan, the default/);
    });
  });
});
