import { expect } from 'chai';
import { checkAddress, isInvalid, parseSubnet, type Subnet } from '../../../src/events/network.js';
import { checkInterfaceData } from '../../../src/events/validate.js';
import { interfaceData } from '../../helpers/builders.js';

const subnet = (cidr: string): Subnet => {
  const s = parseSubnet(cidr);
  if (isInvalid(s)) throw new Error(s.error);
  return s;
};

/** The one address validation (publisher rows, agent events, `multinic publish`): usable on an interface or refused naming the range. */
describe('usable interface addresses', () => {
  it('accepts both addresses of an IPv4 /31 and the one of a /32 (RFC 3021)', () => {
    expect(checkAddress('10.0.0.0', subnet('10.0.0.0/31'))).to.equal('10.0.0.0');
    expect(checkAddress('10.0.0.1', subnet('10.0.0.0/31'))).to.equal('10.0.0.1');
    expect(checkAddress('10.0.0.7', subnet('10.0.0.7/32'))).to.equal('10.0.0.7');
  });
  it('accepts the all-zero interface id on an IPv6 /127 (RFC 6164) and /128, refuses it below /127', () => {
    expect(checkAddress('fd00::', subnet('fd00::/127'))).to.equal('fd00::');
    expect(checkAddress('fd00::9', subnet('fd00::9/128'))).to.equal('fd00::9');
    expect(checkAddress('fd00::', subnet('fd00::/64'))).to.deep.equal({ error: 'address fd00:: is the Subnet-Router anycast address of fd00::/64 (RFC 4291 §2.6.1)' });
  });
  it('refuses the IPv4 network and broadcast addresses below /31', () => {
    expect(checkAddress('10.0.0.0', subnet('10.0.0.0/30'))).to.have.property('error').that.matches(/network address/);
    expect(checkAddress('10.0.0.3', subnet('10.0.0.0/30'))).to.have.property('error').that.matches(/broadcast address/);
  });
  const refused: Array<[string, string, RegExp]> = [
    ['::ffff:10.30.0.0/120', '::ffff:10.30.0.9', /IPv4-mapped IPv6 ::ffff:0:0\/96/],
    ['::/96', '::10.30.0.9', /IPv4-compatible IPv6 ::\/96/],
    ['127.0.0.0/8', '127.0.0.2', /loopback 127.0.0.0\/8/],
    ['224.0.0.0/4', '224.0.0.9', /multicast 224.0.0.0\/4/],
    ['0.0.0.0/8', '0.0.0.1', /"this network" 0.0.0.0\/8/],
    ['169.254.0.0/16', '169.254.0.9', /link-local 169.254.0.0\/16/],
    ['fe80::/10', 'fe80::9', /link-local fe80::\/10/],
    ['ff00::/8', 'ff02::1', /multicast ff00::\/8/],
  ];
  for (const [cidr, address, reason] of refused) {
    it(`refuses ${address} on ${cidr}, naming the range (publisher, agent and publish share checkInterfaceData)`, () => {
      const checked = checkInterfaceData(interfaceData({ cidr, address, mtu: null }));
      expect(checked).to.have.property('error').that.matches(reason);
    });
  }
  it('refuses an unusable address inside an otherwise usable wide subnet, naming its range', () => {
    expect(checkAddress('169.254.1.1', subnet('128.0.0.0/1'))).to.have.property('error').that.matches(/link-local 169.254.0.0\/16/);
    expect(checkAddress('224.1.1.1', subnet('192.0.0.0/2'))).to.have.property('error').that.matches(/multicast 224.0.0.0\/4/);
  });
});
