import { expect } from 'chai';
import { HostError } from '../../../src/errors/errors.js';
import type { SettleQuery } from '../../../src/host/backend.js';
import type { KernelState } from '../../../src/host/kernel.js';
import { verifyKernel } from '../../../src/host/kernel-verify.js';
import { networkdBusy, networkdSettle, parseNetworkctlList } from '../../../src/host/netplan/networkd-state.js';
import { createRingLogger } from '../../../src/log/logger.js';

// `networkctl list --json=short` as systemd 252 printed it in a lab node (trimmed to the keys read), during
// `networkctl reconfigure multinic2`: the static address re-requested, the primary untouched.
const link = (name: string, mac: number[] | undefined, setup: string, addresses: Array<[number[], number, string]>) => ({
  Name: name, ...(mac && { HardwareAddress: mac }), AdministrativeState: setup, OperationalState: 'routable',
  Addresses: addresses.map(([a, len, state]) => ({ Family: a.length === 4 ? 2 : 10, Address: a, PrefixLength: len, ConfigSource: 'static', ConfigState: state })),
});
const V6LL = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xf8, 0x16, 0x3e, 0xff, 0xfe, 0x40, 0, 3];
const list = (setup: string, state: string) => JSON.stringify({
  Interfaces: [
    link('lo', undefined, 'unmanaged', [[[127, 0, 0, 1], 8, 'configured']]),
    link('ens3', [250, 22, 62, 0, 1, 3], 'configuring', [[[10, 0, 0, 5], 24, 'configured']]),
    link('multinic2', [250, 22, 62, 64, 0, 3], setup, [[V6LL, 64, 'configured'], [[10, 22, 0, 11], 24, state]]),
  ],
  RoutingPolicyRules: [],
});
const q: SettleQuery = { expect: [{ mac: 'fa:16:3e:40:00:03', name: 'multinic2', addresses: ['10.22.0.11/24'], dhcp: false, mtu: null }], stale: [], changed: ['ens42', 'multinic2'] };

describe('host/netplan networkd state: the kernel is judged only once networkd is done', () => {
  it('parses networkctl list --json=short: name, MAC, setup state, addresses with their ConfigState', () => {
    const [lo, , nic] = parseNetworkctlList(list('configuring', 'requesting'));
    expect(lo).to.deep.include({ name: 'lo', mac: undefined, setup: 'unmanaged' });
    expect(nic).to.deep.equal({ name: 'multinic2', mac: 'fa:16:3e:40:00:03', setup: 'configuring', addresses: [{ cidr: 'fe80::f816:3eff:fe40:3/64', state: 'configured' }, { cidr: '10.22.0.11/24', state: 'requesting' }] });
    expect(() => parseNetworkctlList('WARNING: systemd-networkd is not running')).to.throw(HostError, /cannot parse the JSON of `networkctl list --json=short`/);
    expect(() => parseNetworkctlList('{"Index":1}')).to.throw(HostError, /no Interfaces array/);
  });

  it('busy while a changed link is initialized (reconfigure just asked) or an address is in transition; done at configuring or configured', () => {
    const busy = (setup: string, state: string, query = q) => networkdBusy(parseNetworkctlList(list(setup, state)), query);
    expect(busy('initialized', 'configured')).to.equal('networkd has not started configuring multinic2 (initialized)');
    expect(busy('pending', 'configured')).to.match(/not started configuring multinic2 \(pending\)/);
    expect(busy('configuring', 'requesting')).to.equal('networkd is still configuring multinic2 (configuring): 10.22.0.11/24 requesting');
    expect(busy('configuring', 'configured,removing')).to.match(/10\.22\.0\.11\/24 configured,removing/);
    expect(busy('configuring', 'configured')).to.equal(null);
    expect(busy('configured', 'configured')).to.equal(null);
    // A static address networkd does not list yet (the reload not yet taken up) is not done either.
    expect(busy('configured', 'configured', { ...q, expect: [{ ...q.expect[0]!, addresses: ['10.22.0.12/24'] }] })).to.equal('networkd has not configured 10.22.0.12/24 on multinic2 (configured)');
    // DHCP: no address is waited for (a port without a DHCP server stays configuring).
    expect(busy('configuring', 'configured', { ...q, expect: [{ ...q.expect[0]!, addresses: [], dhcp: true }] })).to.equal(null);
    // Links the change does not touch are not looked at: the primary stays configuring (accept-ra, no RA).
    expect(busy('initialized', 'requesting', { expect: [], stale: [], changed: ['multinic9'] })).to.equal(null);
  });

  it('runs `<NETWORKCTL_COMMAND> list --json=short` as an argv and judges its output', async () => {
    const calls: string[][] = [];
    const settle = networkdSettle(['nsenter', '--target', '1', '--', 'networkctl'], async (argv) => (calls.push([...argv]), { stdout: list('initialized', 'configured'), stderr: '', durationMs: 1 }));
    expect(await settle(q, createRingLogger().log)).to.match(/initialized/);
    expect(calls).to.deep.equal([['nsenter', '--target', '1', '--', 'networkctl', 'list', '--json=short']]);
  });

  it('verify does not judge the kernel while networkd is busy, then judges it; a daemon that cannot answer leaves the kernel alone to judge', async () => {
    const { log } = createRingLogger();
    let clock = 0;
    const timing = { sleep: async (ms: number) => void (clock += ms), now: () => clock, timeoutMs: 1000, log };
    const good: KernelState = { links: [{ ifindex: 5, ifname: 'multinic2', mac: 'fa:16:3e:40:00:03', mtu: 1500, flags: ['UP'], operstate: 'UP', addresses: [{ family: 4, local: '10.22.0.11', prefixlen: 24, scope: 'global', tentative: false, dadfailed: false }] }], routes: [] };
    let reads = 0;
    const kernel = { read: async () => (reads++, good), deleteAddress: async () => undefined, rename: async () => undefined };
    const answers = ['networkd has not started configuring multinic2 (initialized)', 'networkd is still configuring multinic2 (configuring): 10.22.0.11/24 requesting', null];
    await verifyKernel({ kernel, before: { links: [], routes: [] }, ...q, ...timing, unsettled: async () => answers.shift() ?? null });
    expect({ reads, clock }).to.deep.equal({ reads: 1, clock: 100 });

    clock = 0;
    const err = await verifyKernel({ kernel, before: { links: [], routes: [] }, ...q, ...timing, unsettled: async () => 'networkd has not started configuring multinic2 (pending)' }).catch((e: Error) => e);
    expect(err).to.be.instanceOf(HostError).with.property('message').that.equals('the kernel did not show the intended state within 1000 ms after apply: networkd has not started configuring multinic2 (pending)');

    reads = 0;
    await verifyKernel({ kernel, before: { links: [], routes: [] }, ...q, ...timing, unsettled: async () => { throw new HostError('networkctl exited with code 1'); } });
    expect(reads).to.equal(1);
  });
});
