import { AmbiguousNicError } from '../../../src/host/ownership.js';
import { expect } from 'chai';
import { HostTransientError } from '../../../src/errors/errors.js';
import { findNicByMac, listHostInterfaces, readOperstate, waitForNic } from '../../../src/host/sysfs.js';
import { FakeSysfs } from '../../helpers/fake-sysfs.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

describe('host/sysfs', () => {
  let sys: FakeSysfs;
  beforeEach(async () => {
    sys = await FakeSysfs.create([
      { name: 'eth0', mac: 'fa:16:3e:00:00:01', operstate: 'up' },
      { name: 'ens4', mac: 'FA:16:3E:AA:BB:CC' },
      { name: 'ens5', mac: 'fa:16:3e:aa:bb:cd' },
    ]);
  });
  afterEach(() => sys.cleanup());

  it('finds a NIC by MAC regardless of case, on either side', async () => {
    expect(await findNicByMac(sys.root, 'fa:16:3e:aa:bb:cc')).to.equal('ens4');
    expect(await findNicByMac(sys.root, 'FA:16:3E:AA:BB:CD')).to.equal('ens5');
  });

  it('matches exactly: a prefix or a neighbouring MAC is never taken', async () => {
    expect(await findNicByMac(sys.root, 'fa:16:3e:aa:bb:c')).to.equal(undefined);
    expect(await findNicByMac(sys.root, 'fa:16:3e:aa:bb:ce')).to.equal(undefined);
  });

  it('skips entries whose address cannot be read (plain files, broken dirs)', async () => {
    await writeFile(join(sys.root, 'bonding_masters'), '');
    await mkdir(join(sys.root, 'weird'));
    expect(await findNicByMac(sys.root, 'fa:16:3e:aa:bb:cc')).to.equal('ens4');
    expect(await listHostInterfaces(sys.root)).to.deep.equal(['ens4', 'ens5', 'eth0', 'weird']);
  });

  it('prefers the device-backed interface when a stacked one shares the MAC, else refuses to guess', async () => {
    await sys.add({ name: 'ens4.100', mac: 'fa:16:3e:aa:bb:cc' });
    // Refusing to guess is an error that says why (issue 11), not "no interface appeared".
    const err = await findNicByMac(sys.root, 'fa:16:3e:aa:bb:cc').then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(AmbiguousNicError);
    expect((err as Error).message).to.match(/ambiguous.*ens4, ens4\.100/);
    await mkdir(join(sys.root, 'ens4', 'device'));
    expect(await findNicByMac(sys.root, 'fa:16:3e:aa:bb:cc')).to.equal('ens4');
  });

  it('reads operstate', async () => {
    expect(await readOperstate(sys.root, 'eth0')).to.equal('up');
    expect(await readOperstate(sys.root, 'nope')).to.equal(undefined);
  });

  it('waits for a hot-plugged NIC that appears after a delay', async () => {
    let polls = 0;
    const sleep = async (ms: number) => {
      polls++;
      if (polls === 3) await sys.add({ name: 'ens6', mac: 'fa:16:3e:00:00:66' });
      await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
    };
    const name = await waitForNic(sys.root, 'fa:16:3e:00:00:66', { timeoutMs: 30_000, sleep, now: Date.now });
    expect(name).to.equal('ens6');
    expect(polls).to.equal(3);
  });

  it('backs off between polls up to the maximum', async () => {
    const waits: number[] = [];
    let t = 0;
    await waitForNic(sys.root, 'fa:16:3e:00:00:77', {
      timeoutMs: 10_000,
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
    }).catch(() => undefined);
    expect(waits.slice(0, 6)).to.deep.equal([50, 100, 200, 400, 800, 1000]);
    expect(waits.reduce((a, b) => a + b, 0)).to.equal(10_000);
  });

  it('throws HostTransientError for a MAC that never appears, and never returns another NIC', async () => {
    let t = 0;
    const err = await waitForNic(sys.root, 'fa:16:3e:99:99:99', { timeoutMs: 30_000, now: () => t, sleep: async (ms) => void (t += ms) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(HostTransientError);
    expect((err as Error).message).to.contain('fa:16:3e:99:99:99');
  });
});
