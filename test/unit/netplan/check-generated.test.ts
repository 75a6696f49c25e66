import { expect } from 'chai';
import { HostError } from '../../../src/errors/errors.js';
import { checkGenerated } from '../../../src/host/netplan/check-generated.js';
import { describeGenerateFailure } from '../../../src/host/netplan/generate.js';
import { iface } from '../../fixtures/netplan/cases.js';

/** What netplan 0.106 generates for the default `iface()` with mtu 1450 (copied from a real run). */
const GOOD = `[Match]
PermanentMACAddress=fa:16:3e:12:34:56
Name=multinic0

[Link]
RequiredForOnline=no
MTUBytes=1450

[Network]
LinkLocalAddressing=ipv6
Address=10.20.0.11/24
IPv6AcceptRA=no
`;
const UNIT = '10-netplan-multinic0.network';
const value = iface({ mtu: 1450 });

describe('netplan checkGenerated', () => {
  it('accepts output that carries the MAC, address, MTU and refuses RAs', () => {
    expect(() => checkGenerated(value, { [UNIT]: GOOD })).not.to.throw();
  });

  const broken: Record<string, string> = {
    'a gateway': `${GOOD}Gateway=10.20.0.1\n`,
    'a default route': `${GOOD}\n[Route]\nDestination=0.0.0.0/0\nGateway=10.20.0.1\n`,
    'an IPv6 default route': `${GOOD}\n[Route]\nDestination=::/0\n`,
    'a [Route] without destination': `${GOOD}\n[Route]\nMetric=5\n`,
    'a second address': `${GOOD.replace('Address=10.20.0.11/24', 'Address=10.20.0.11/24\nAddress=10.20.0.99/24')}`,
    'another prefix': GOOD.replace('/24', '/16'),
    'another MTU': GOOD.replace('MTUBytes=1450', 'MTUBytes=1500'),
    'no MTU': GOOD.replace('MTUBytes=1450\n', ''),
    'another MAC': GOOD.replace('fa:16:3e:12:34:56', 'fa:16:3e:12:34:57'),
    'RAs accepted': GOOD.replace('IPv6AcceptRA=no', 'IPv6AcceptRA=yes'),
    'DHCP routes used': `${GOOD}\n[DHCP]\nUseRoutes=true\n`,
  };
  for (const [what, text] of Object.entries(broken)) {
    it(`refuses output with ${what}`, () => {
      expect(() => checkGenerated(value, { [UNIT]: text })).to.throw(HostError);
    });
  }

  it('refuses when the interface has no network unit at all', () => {
    expect(() => checkGenerated(value, {})).to.throw(HostError, /missing/);
  });

  it('wants DHCP of the family, and no static address, when address is null', () => {
    const dhcp = GOOD.replace('Address=10.20.0.11/24', 'DHCP=ipv4');
    expect(() => checkGenerated({ ...value, address: null }, { [UNIT]: dhcp })).not.to.throw();
    expect(() => checkGenerated({ ...value, address: null }, { [UNIT]: GOOD })).to.throw(HostError, /Address/);
    expect(() => checkGenerated({ ...value, address: null, cidr: 'fd00::/64', mtu: 1450 }, { [UNIT]: dhcp })).to.throw(HostError, /ipv6/);
  });
});

describe('netplan describeGenerateFailure', () => {
  const root = '/tmp/multinic-netplan-abc';
  it('keeps the file:line:col lines, relative to the netplan directory', () => {
    const stderr = `${root}/etc/netplan/50-x.yaml:6:1: Invalid YAML: did not find expected node content:\n\n^\n`;
    expect(describeGenerateFailure(stderr, root)).to.equal('50-x.yaml:6:1: Invalid YAML: did not find expected node content:');
  });

  it('falls back to the first lines, without the scratch path, when nothing is located', () => {
    expect(describeGenerateFailure(`boom in ${root}/run\nsecond\n`, root)).to.equal('boom in /run; second');
    expect(describeGenerateFailure('', root)).to.equal('no diagnostic on stderr');
  });
});
