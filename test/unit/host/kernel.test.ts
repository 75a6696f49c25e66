import { expect } from 'chai';
import { HostError } from '../../../src/errors/errors.js';
import { createIpKernel, parseIpAddr, parseIpRoute, type KernelRoute, type KernelState } from '../../../src/host/kernel.js';
import { canonicalCidr, interfaceMismatch, routeMismatch, staleStillPresent, type InterfaceExpectation } from '../../../src/host/kernel-check.js';
import { verifyKernel } from '../../../src/host/kernel-verify.js';
import { addressDelta, addressDeltaOf, expectationOf } from '../../../src/host/kernel-guard.js';
import { createRingLogger } from '../../../src/log/logger.js';

// Shapes as iproute2 6.1 prints them (`ip -j addr show`, `ip -j -4 route show`) in a lab node.
const ADDR_JSON = JSON.stringify([
  { ifindex: 2, ifname: 'ens3', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP', address: 'fa:16:3e:00:01:03',
    addr_info: [{ family: 'inet', local: '10.0.0.5', prefixlen: 24, scope: 'global' }, { family: 'inet6', local: 'fe80::f816:3eff:fe00:103', prefixlen: 64, scope: 'link' }] },
  { ifindex: 3, ifname: 'multinic0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 9000, operstate: 'UP', address: 'fa:16:3e:00:10:04',
    addr_info: [{ family: 'inet', local: '10.20.0.11', prefixlen: 24, scope: 'global' }, { family: 'inet6', local: 'fd00:20::11', prefixlen: 64, scope: 'global', tentative: true }] },
]);
const PRIMARY: KernelRoute[] = [
  { family: 4, dst: 'default', gateway: '10.0.0.1', dev: 'ens3', protocol: 'static' },
  { family: 4, dst: '10.0.0.0/24', dev: 'ens3', protocol: 'kernel' },
  { family: 6, dst: 'fe80::/64', dev: 'ens3', protocol: 'kernel', metric: 256 },
];
const state = (routes: KernelRoute[] = PRIMARY): KernelState => ({ links: parseIpAddr(ADDR_JSON), routes });
const exp = (over: Partial<InterfaceExpectation> = {}): InterfaceExpectation => ({ mac: 'fa:16:3e:00:10:04', name: 'multinic0', addresses: ['10.20.0.11/24', 'fd00:20:0::11/64'], dhcp: false, mtu: 9000, ...over });

describe('host/kernel: reading and judging the kernel', () => {
  it('parses ip -j addr and route output; a tentative IPv6 address is kept and marked', () => {
    const [ens3, nic] = parseIpAddr(ADDR_JSON);
    expect(ens3).to.include({ ifname: 'ens3', mac: 'fa:16:3e:00:01:03', mtu: 1500 });
    expect(nic!.addresses[1]).to.include({ family: 6, local: 'fd00:20::11', tentative: true, dadfailed: false });
    expect(parseIpRoute('[{"dst":"default","gateway":"10.0.0.1","dev":"ens3","protocol":"static","flags":[]},{"type":"unreachable","dst":"10.9.0.0/16","flags":[]}]', 4))
      .to.deep.equal([{ family: 4, dst: 'default', gateway: '10.0.0.1', dev: 'ens3', protocol: 'static' }, { family: 4, dst: '10.9.0.0/16', type: 'unreachable' }]);
    expect(parseIpAddr('')).to.deep.equal([]);
    expect(() => parseIpAddr('{oops')).to.throw(HostError, /cannot parse the JSON of `ip -j addr show`/);
  });

  it('runs ip as an argv behind IP_COMMAND (no shell) and refuses an empty prefix', async () => {
    const calls: string[][] = [];
    const kernel = createIpKernel({ ipCommand: ['nsenter', '--target', '1', '--net', '--', 'ip'], log: createRingLogger().log, run: async (argv) => (calls.push([...argv]), { stdout: '[]', stderr: '', durationMs: 1 }) });
    await kernel.read();
    await kernel.rename('ens4', 'multinic0');
    await kernel.deleteAddress('multinic0', '10.20.0.11/24');
    expect(calls.map((c) => c.slice(5).join(' '))).to.deep.equal([
      'ip -j addr show', 'ip -j -4 route show', 'ip -j -6 route show',
      'ip link set dev ens4 down', 'ip link set dev ens4 name multinic0', 'ip address del 10.20.0.11/24 dev multinic0',
    ]);
    expect(() => createIpKernel({ ipCommand: [], log: createRingLogger().log })).to.throw(HostError, /IP_COMMAND is empty/);
  });

  it('accepts the interface as configured, IPv6 compared in canonical form and still in DAD', () => {
    expect(canonicalCidr('fd00:20:0::11/64')).to.equal('fd00:20::11/64');
    expect(interfaceMismatch(state(), exp())).to.equal(null);
    expect(interfaceMismatch(state(), exp({ dhcp: true, addresses: [] }))).to.equal(null);
  });

  it('names each mismatch: name, MTU, missing address, foreign address, link down, DAD failed (hard)', () => {
    expect(interfaceMismatch(state(), exp({ name: 'multinic1' }))!.reason).to.match(/is called multinic0/);
    expect(interfaceMismatch(state(), exp({ mtu: 1500 }))!.reason).to.match(/MTU is 9000, expected 1500/);
    expect(interfaceMismatch(state(), exp({ addresses: ['10.20.0.12/24'] }))!.reason).to.match(/missing 10\.20\.0\.12\/24/);
    expect(interfaceMismatch(state(), exp({ addresses: ['10.20.0.11/24'] }))!.reason).to.match(/carries fd00:20::11\/64 that MultiNIC did not set/);
    expect(interfaceMismatch(state(), exp({ mac: 'fa:16:3e:00:10:99' }))).to.deep.equal({ reason: 'no link with MAC fa:16:3e:00:10:99', hard: false });
    const s = state();
    s.links[1]!.flags = ['BROADCAST'];
    expect(interfaceMismatch(s, exp())!.reason).to.match(/link is down/);
    s.links[1]!.addresses[1]!.dadfailed = true;
    expect(interfaceMismatch(s, exp())).to.deep.include({ hard: true });
  });

  it('routes: a captured prefix or a default route on the changed NIC is hard; a route of another NIC gone is soft; link-local is nobody\'s', () => {
    const ours = (dst: string): KernelRoute => ({ family: 4, dst, dev: 'multinic0', protocol: 'kernel' });
    expect(routeMismatch(PRIMARY, [...PRIMARY, ours('10.20.0.0/24'), { family: 6, dst: 'fe80::/64', dev: 'multinic0', metric: 256 }], ['ens4', 'multinic0'])).to.equal(null);
    expect(routeMismatch(PRIMARY, [...PRIMARY, ours('10.0.0.0/28')], ['multinic0'])).to.deep.equal({
      reason: 'route 10.0.0.0/28 dev multinic0 takes traffic for 10.0.0.0/28 that went by 10.0.0.0/24 dev ens3', hard: true,
    });
    expect(routeMismatch(PRIMARY, [...PRIMARY, ours('10.0.0.0/24')], ['multinic0'])).to.deep.include({ hard: true });
    expect(routeMismatch(PRIMARY, [...PRIMARY, ours('10.0.0.0/16')], ['multinic0'])).to.equal(null);
    expect(routeMismatch(PRIMARY, [...PRIMARY, { family: 4, dst: 'default', gateway: '10.20.0.1', dev: 'multinic0' }], ['multinic0'])!.reason).to.match(/default route is now on multinic0/);
    expect(routeMismatch(PRIMARY, PRIMARY.slice(1), ['multinic0'])).to.deep.equal({ reason: 'route of other interfaces gone: default via 10.0.0.1 dev ens3', hard: false });
  });

  it('address delta: a change keeps the new address and drops the old; a removal drops all; a rollback undoes only what was added', () => {
    const iface = { name: 'multinic0', macAddress: 'FA:16:3E:00:10:04', portId: 'p', subnetId: 's', networkId: 'n', cidr: '10.20.0.0/24', address: '10.20.0.11', mtu: 9000, generation: 1, origin: 'o' };
    expect(expectationOf(iface)).to.deep.equal({ mac: 'fa:16:3e:00:10:04', name: 'multinic0', addresses: ['10.20.0.11/24'], dhcp: false, mtu: 9000 });
    expect(addressDelta([iface], { ...iface, address: '10.20.0.12' })).to.deep.equal({
      stale: [{ mac: 'fa:16:3e:00:10:04', addresses: ['10.20.0.11/24'] }], added: [{ mac: 'fa:16:3e:00:10:04', addresses: ['10.20.0.12/24'] }],
    });
    expect(addressDelta([iface], iface)).to.deep.equal({ stale: [], added: [] });
    expect(addressDelta([iface], undefined)).to.deep.equal({ stale: [{ mac: 'fa:16:3e:00:10:04', addresses: ['10.20.0.11/24'] }], added: [] });
    // A batch: one NIC readdressed, one removed, one new; by MAC, each on its own.
    const gone = { ...iface, name: 'multinic1', macAddress: 'fa:16:3e:00:10:05', portId: 'q', address: '10.21.0.11', cidr: '10.21.0.0/24' };
    const fresh = { ...iface, name: 'multinic2', macAddress: 'fa:16:3e:00:10:06', portId: 'r', address: '10.22.0.11', cidr: '10.22.0.0/24' };
    expect(addressDeltaOf([iface, gone], [{ ...iface, address: '10.20.0.12' }, fresh])).to.deep.equal({
      stale: [{ mac: 'fa:16:3e:00:10:04', addresses: ['10.20.0.11/24'] }, { mac: 'fa:16:3e:00:10:05', addresses: ['10.21.0.11/24'] }],
      added: [{ mac: 'fa:16:3e:00:10:04', addresses: ['10.20.0.12/24'] }, { mac: 'fa:16:3e:00:10:06', addresses: ['10.22.0.11/24'] }],
    });
    expect(staleStillPresent(state(), [{ mac: 'fa:16:3e:00:10:04', addresses: ['10.20.0.11/24', '10.99.0.1/24'] }])).to.deep.equal([{ ifname: 'multinic0', cidr: '10.20.0.11/24' }]);
  });

  it('verify waits for the kernel, deletes stale addresses, fails at once on a hard mismatch and after the timeout on a soft one', async () => {
    const { log } = createRingLogger();
    let clock = 0;
    const timing = { sleep: async (ms: number) => void (clock += ms), now: () => clock, timeoutMs: 1000, log };
    const reads: KernelState[] = [state(PRIMARY.slice(1)), state()];
    const deleted: string[] = [];
    const kernel = { read: async () => reads.length > 1 ? reads.shift()! : reads[0]!, deleteAddress: async (i: string, c: string) => void deleted.push(`${c} ${i}`), rename: async () => undefined, up: async () => undefined };
    await verifyKernel({ kernel, before: state(), expect: [exp()], stale: [], changed: ['multinic0'], ...timing });
    expect(clock).to.equal(50);
    const captured = state([...PRIMARY, { family: 4, dst: '10.0.0.0/28', dev: 'multinic0' }]);
    const k2 = { ...kernel, read: async () => captured };
    const err = await verifyKernel({ kernel: k2, before: state(), expect: [exp()], stale: [], changed: ['multinic0'], ...timing }).catch((e: Error) => e);
    expect(err).to.be.instanceOf(HostError).with.property('message').that.matches(/wrong state after apply: route 10\.0\.0\.0\/28/);
    clock = 0;
    const err2 = await verifyKernel({ kernel, before: state(), expect: [exp({ mtu: 1500 })], stale: [{ mac: 'fa:16:3e:00:10:04', addresses: ['fd00:20::11/64'] }], changed: ['multinic0'], ...timing }).catch((e: Error) => e);
    expect(deleted[0]).to.equal('fd00:20::11/64 multinic0');
    expect(err2).to.be.instanceOf(HostError).with.property('message').that.matches(/within 1000 ms after apply: .*MTU is 9000, expected 1500/);
  });
});
