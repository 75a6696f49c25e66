import { expect } from 'chai';
import { assertNoOverlap, findOverlaps, OverlapError, prefixesOverlap, type OverlapInput } from '../../../src/host/overlap.js';
import { configuredFrom, interfaceData } from '../../helpers/builders.js';
import type { KernelLink, KernelRoute } from '../../../src/host/kernel.js';

type Addr = { ifname: string; cidr: string; scope: string };
const addr = (ifname: string, cidr: string, scope = 'global'): Addr => ({ ifname, cidr, scope });
/** The links of `ip -j addr` carrying these addresses, in order. */
function links(addrs: Addr[]): KernelLink[] {
  const out: KernelLink[] = [];
  for (const [k, a] of addrs.entries()) {
    let link = out.find((l) => l.ifname === a.ifname);
    if (!link) out.push((link = { ifindex: k + 1, ifname: a.ifname, mtu: 1500, flags: ['UP'], operstate: 'UP', addresses: [] }));
    const [local, prefixlen] = a.cidr.split('/');
    link.addresses.push({ family: local!.includes(':') ? 6 : 4, local: local!, prefixlen: Number(prefixlen), scope: a.scope, tentative: false, dadfailed: false });
  }
  return out;
}
const route = (dst: string, dev: string, more: Partial<KernelRoute> = {}): KernelRoute => ({ family: dst.includes(':') ? 6 : 4, dst, dev, ...more });

/** A node like the issue's: ens3 10.0.0.5/24 with the default route, fd00:1::5/64, a static route via the gateway. */
function input(cidr: string, over: Partial<OverlapInput> = {}): OverlapInput {
  return {
    portId: 'p1',
    cidr,
    nicNames: ['ens4', 'multinic0'],
    ownedNames: ['multinic1'],
    others: [],
    kernel: {
      links: links([addr('lo', '127.0.0.1/8', 'host'), addr('ens3', '10.0.0.5/24'), addr('ens3', 'fd00:1::5/64'), addr('ens3', 'fe80::1/64', 'link'), addr('ens4', '192.168.9.9/24'), addr('multinic1', '10.30.0.4/24')]),
      routes: [
        route('default', 'ens3', { gateway: '10.0.0.1', protocol: 'static' }),
        route('10.0.0.0/24', 'ens3', { protocol: 'kernel' }),
        route('172.16.0.0/12', 'ens3', { gateway: '10.0.0.254', protocol: 'static' }),
        route('fd00:1::/64', 'ens3', { protocol: 'kernel' }),
        route('fe80::/64', 'ens3', { protocol: 'kernel' }),
        route('10.30.0.0/24', 'multinic1', { protocol: 'kernel' }),
        route('default', 'ens3', { gateway: 'fd00:1::1', protocol: 'static' }),
      ],
    },
    protect: [{ address: '10.96.0.1', what: 'the Kubernetes API server' }],
    ...over,
  };
}

describe('overlap refusal (host/overlap)', () => {
  it('compares prefixes both ways, per family', () => {
    expect(prefixesOverlap('10.0.0.0/28', '10.0.0.0/24')).to.equal(true);
    expect(prefixesOverlap('10.0.0.0/16', '10.0.0.0/24')).to.equal(true);
    expect(prefixesOverlap('10.0.1.0/24', '10.0.0.0/24')).to.equal(false);
    expect(prefixesOverlap('fd00:1::/64', 'fd00:1::5/128')).to.equal(true);
    expect(prefixesOverlap('10.0.0.0/8', 'fd00::/8')).to.equal(false);
  });

  it("names the issue's case: the primary's address, its connected route and the default gateway", () => {
    expect(findOverlaps(input('10.0.0.0/28'))).to.deep.equal([
      'address 10.0.0.5/24 of ens3',
      'the default gateway 10.0.0.1 (via ens3)',
      'route 10.0.0.0/24 dev ens3 proto kernel',
    ]);
  });

  it('catches routes via a gateway, IPv6 addresses and the API server', () => {
    expect(findOverlaps(input('172.20.0.0/16'))).to.deep.equal(['route 172.16.0.0/12 via 10.0.0.254 dev ens3 proto static']);
    expect(findOverlaps(input('fd00:1::/64'))).to.deep.equal(['address fd00:1::5/64 of ens3', 'route fd00:1::/64 dev ens3 proto kernel', 'the default gateway fd00:1::1 (via ens3)']);
    expect(findOverlaps(input('10.96.0.0/24'))).to.deep.equal(['the Kubernetes API server 10.96.0.1']);
  });

  it("catches another MultiNIC interface's subnet from its file, not from the kernel", () => {
    const other = configuredFrom(interfaceData({ cidr: '10.30.0.0/24', address: '10.30.0.4' }), 'multinic1');
    expect(findOverlaps(input('10.30.0.0/25', { others: [other] }))).to.deep.equal([`subnet 10.30.0.0/24 of MultiNIC's multinic1 (port ${other.portId})`]);
  });

  it("ignores the NIC's own addresses, MultiNIC's interfaces in the kernel, link-local and a clear subnet", () => {
    expect(findOverlaps(input('192.168.9.0/24'))).to.deep.equal([]);
    expect(findOverlaps(input('10.30.0.0/24'))).to.deep.equal([]);
    expect(findOverlaps(input('10.20.0.0/24'))).to.deep.equal([]);
  });

  it('refuses with a permanent OverlapError naming the subnet, what it overlaps, and the opt-out', () => {
    expect(() => assertNoOverlap(input('10.0.0.0/28'))).to.throw(OverlapError, /refusing port p1: its subnet 10\.0\.0\.0\/28 overlaps address 10\.0\.0\.5\/24 of ens3;.*AGENT_ALLOW_OVERLAP/);
    expect(() => assertNoOverlap(input('10.20.0.0/24'))).to.not.throw();
  });
});
