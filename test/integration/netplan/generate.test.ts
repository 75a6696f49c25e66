import { access, chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { ConfiguredInterface } from '../../../src/model/ports.js';
import { HostError, HostTransientError } from '../../../src/errors/errors.js';
import { checkGenerated } from '../../../src/host/netplan/check-generated.js';
import { validateWithNetplan } from '../../../src/host/netplan/generate.js';
import { fileNameFor, renderInterface } from '../../../src/host/netplan/render.js';
import { GOLDEN_CASES, iface } from '../../fixtures/netplan/cases.js';
import { HOSTILE_STRINGS } from '../../fixtures/netplan/hostile.js';

const NETPLAN = '/usr/sbin/netplan';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** The `Key=value` pairs of one generated unit, in order. */
function pairs(text: string): string[] {
  return text.split('\n').filter((l) => l.includes('='));
}

describe('netplan generate (real netplan)', function () {
  let scratch: string;
  before(async () => {
    await access(NETPLAN).catch(() => {
      throw new Error(`netplan is not installed at ${NETPLAN} (apt-get install -y netplan.io)`);
    });
  });
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'multinic-gen-test-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const validate = (files: Map<string, string | Buffer>) => validateWithNetplan({ generateCommand: NETPLAN, files, tmpDir: scratch });
  const one = (value: ConfiguredInterface) => new Map([[fileNameFor(value.name), renderInterface(value)]]);

  for (const [key, value] of Object.entries(GOLDEN_CASES)) {
    it(`accepts golden ${key} and generates exactly its MAC, address, MTU and no default route`, async () => {
      const { networkd } = await validate(one(value));
      const unit = networkd[`10-netplan-${value.name}.network`];
      expect(unit, 'network unit').to.be.a('string');
      const kv = pairs(unit!);
      expect(kv).to.include(`PermanentMACAddress=${value.macAddress}`);
      expect(kv).to.include(`Name=${value.name}`);
      expect(kv).to.include('IPv6AcceptRA=no');
      const prefix = value.cidr.split('/')[1];
      if (value.address === null) {
        expect(kv.filter((l) => l.startsWith('Address='))).to.deep.equal([]);
        expect(kv).to.include(value.cidr.includes(':') ? 'DHCP=ipv6' : 'DHCP=ipv4');
        expect(kv).to.include('UseRoutes=false');
      } else {
        expect(kv.filter((l) => l.startsWith('Address='))).to.deep.equal([`Address=${value.address}/${prefix}`]);
        expect(kv.filter((l) => l.startsWith('DHCP='))).to.deep.equal([]);
      }
      if (value.mtu === null) expect(kv.filter((l) => l.startsWith('MTUBytes='))).to.deep.equal([]);
      else expect(kv).to.include(`MTUBytes=${value.mtu}`);
      expect(kv.filter((l) => /^(Gateway|Destination)=/.test(l))).to.deep.equal([]);
      expect(unit).not.to.match(/^\[Route\]/m);
      expect(() => checkGenerated(value, networkd)).not.to.throw();
    });
  }

  it('accepts all golden files together as one configuration', async () => {
    const files = new Map(Object.values(GOLDEN_CASES).map((v) => [fileNameFor(v.name), renderInterface(v)]));
    const { networkd } = await validate(files);
    for (const value of Object.values(GOLDEN_CASES)) checkGenerated(value, networkd);
  });

  it('accepts files whose meta carries hostile strings', async () => {
    const files = new Map(
      HOSTILE_STRINGS.map((s, i) => {
        const value = iface({ name: `multinic${i}`, macAddress: `fa:16:3e:00:01:${i.toString(16).padStart(2, '0')}`, address: `10.20.0.${i + 2}`, portId: s, origin: s, networkId: s });
        return [fileNameFor(value.name), renderInterface(value)];
      }),
    );
    const { networkd } = await validate(files);
    expect(Object.keys(networkd).filter((n) => n.endsWith('.network'))).to.have.length(HOSTILE_STRINGS.length);
  });

  it('rejects a broken file with netplan\'s file:line:col reason and removes the scratch root', async () => {
    const files = one(GOLDEN_CASES['ipv4-static']!);
    files.set('50-broken.yaml', 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: [\n');
    const err = await rejection(validate(files));
    expect(err).to.be.instanceOf(HostError);
    expect(err.message).to.match(/50-broken\.yaml:\d+:\d+: /);
    expect(err.message).not.to.include(scratch);
    expect(await readdir(scratch)).to.deep.equal([]);
  });

  it('rejects our file together with a foreign file that redefines the same interface', async () => {
    const files = one(GOLDEN_CASES['ipv4-static']!);
    files.set('50-other.yaml', 'network:\n  version: 2\n  bonds:\n    multinic0:\n      dhcp4: true\n');
    const err = await rejection(validate(files));
    expect(err).to.be.instanceOf(HostError);
    expect(err.message).to.match(/\.yaml:\d+:\d+: .*multinic0/);
  });

  it('lets checkGenerated catch a foreign file that puts a default route on our interface', async () => {
    const value = GOLDEN_CASES['ipv4-static']!;
    const files = one(value);
    files.set('50-other.yaml', 'network:\n  version: 2\n  ethernets:\n    multinic0:\n      routes: [{to: default, via: 10.20.0.1}]\n');
    const { networkd } = await validate(files);
    expect(() => checkGenerated(value, networkd)).to.throw(HostError, /Gateway|default route/);
  });

  it('checkGenerated refuses output that does not match what was rendered', async () => {
    const value = GOLDEN_CASES['ipv4-mtu9000']!;
    const { networkd } = await validate(one(value));
    const unit = `10-netplan-${value.name}.network`;
    expect(() => checkGenerated({ ...value, mtu: 1500 }, networkd)).to.throw(HostError, /MTUBytes/);
    expect(() => checkGenerated({ ...value, address: '192.168.101.8' }, networkd)).to.throw(HostError, /Address/);
    expect(() => checkGenerated({ ...value, macAddress: 'fa:16:3e:99:99:99' }, networkd)).to.throw(HostError, /MAC/);
    expect(() => checkGenerated({ ...value, name: 'multinic9' }, networkd)).to.throw(HostError, /missing/);
    expect(() => checkGenerated(value, { [unit]: `${networkd[unit]}\n[Route]\nGateway=192.168.100.1\n` })).to.throw(HostError);
  });

  it('writes every candidate file with mode 0600, so netplan does not warn', async () => {
    const probe = join(scratch, 'probe.sh');
    // A stand-in generate command that reports the modes it finds.
    await writeFile(probe, '#!/bin/sh\nstat -c "%a %n" "$3"/etc/netplan/* >&2\nexit 1\n');
    await chmod(probe, 0o700);
    const err = await rejection(validateWithNetplan({ generateCommand: probe, files: one(GOLDEN_CASES.dhcp4!).set('50-x.yaml', 'x'), tmpDir: scratch }));
    expect(err.message).to.match(/600 .*90-multinic-multinic2\.yaml/);
    expect(err.message).to.match(/600 .*50-x\.yaml/);
    expect(err.message).not.to.match(/\b644\b/);
  });

  it('reports a missing netplan binary clearly', async () => {
    const err = await rejection(validateWithNetplan({ generateCommand: join(scratch, 'no-netplan'), files: new Map() }));
    expect(err).to.be.instanceOf(HostError);
    expect(err.message).to.include('no-netplan');
    expect(err.message).to.include('cannot be run');
  });

  it('turns a hanging generate (and what it spawned) into a transient error and still removes the scratch root', async () => {
    const hang = join(scratch, 'hang.sh');
    // Like netplan (a Python wrapper around libexec/netplan/generate): the hanging process is a grandchild holding stderr.
    await writeFile(hang, '#!/bin/sh\nsleep 30 &\nwait\n');
    await chmod(hang, 0o700);
    const roots = join(scratch, 'roots');
    await import('node:fs/promises').then((fs) => fs.mkdir(roots));
    const err = await rejection(validateWithNetplan({ generateCommand: hang, files: new Map(), timeoutMs: 200, tmpDir: roots }));
    expect(err).to.be.instanceOf(HostTransientError);
    expect(await readdir(roots)).to.deep.equal([]);
  });

  it('skips validation when the generate command is empty', async () => {
    expect(await validateWithNetplan({ generateCommand: '', files: new Map([['50-broken.yaml', '[']]) })).to.deep.equal({ networkd: {} });
  });

  it('refuses candidate file names that could escape the scratch root', async () => {
    for (const name of ['../evil.yaml', 'a/b.yaml', 'x.yml']) {
      const err = await rejection(validate(new Map([[name, 'network: {version: 2}\n']])));
      expect(err, name).to.be.instanceOf(HostError);
    }
    expect(await readdir(scratch)).to.deep.equal([]);
  });
});
