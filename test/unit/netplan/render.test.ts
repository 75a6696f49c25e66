import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { parse } from 'yaml';
import { HostError } from '../../../src/errors/errors.js';
import { parseOwnedFile } from '../../../src/host/netplan/owned-files.js';
import { META_PREFIX, OWNED_MARKER, fileNameFor, renderInterface } from '../../../src/host/netplan/render.js';
import { GOLDEN_CASES, iface } from '../../fixtures/netplan/cases.js';
import { HOSTILE_STRINGS } from '../../fixtures/netplan/hostile.js';

const fixture = (name: string): URL => new URL(`../../fixtures/netplan/${name}.yaml`, import.meta.url);

type Ethernet = Record<string, unknown>;
function ethernetOf(text: string, name: string): Ethernet {
  const doc = parse(text) as { network: { version: number; ethernets: Record<string, Ethernet> } };
  expect(doc.network.version).to.equal(2);
  expect(Object.keys(doc.network.ethernets)).to.deep.equal([name]);
  return doc.network.ethernets[name]!;
}

describe('netplan render', () => {
  describe('golden files', () => {
    for (const [key, value] of Object.entries(GOLDEN_CASES)) {
      it(`renders ${key} byte for byte`, async () => {
        const expected = await readFile(fixture(key), 'utf8');
        expect(renderInterface(value)).to.equal(expected);
      });
    }
  });

  it('names files 90-multinic-<name>.yaml, beyond ten too', () => {
    expect(fileNameFor('multinic0')).to.equal('90-multinic-multinic0.yaml');
    expect(fileNameFor('multinic12')).to.equal('90-multinic-multinic12.yaml');
  });

  it('refuses names that are not multinicN or exceed the 15-byte interface limit', () => {
    for (const bad of ['eth0', 'multinic', 'multinic01', 'multinic-1', '../multinic0', 'multinic12345678', 'multinic0\n']) {
      expect(() => fileNameFor(bad), bad).to.throw(HostError);
      expect(() => renderInterface(iface({ name: bad })), bad).to.throw(HostError);
    }
  });

  it('starts with the marker and a one-line meta that reads back to the same interface', () => {
    const value = GOLDEN_CASES['ipv6-mtu1280']!;
    const text = renderInterface(value);
    const lines = text.split('\n');
    expect(lines[0]).to.equal(OWNED_MARKER);
    expect(lines[1]!.startsWith(META_PREFIX)).to.equal(true);
    expect(parseOwnedFile(text, fileNameFor(value.name))).to.deep.equal(value);
  });

  it('is deterministic whatever the key order of its input', () => {
    const value = GOLDEN_CASES['ipv4-mtu9000']!;
    const reversed = Object.fromEntries(Object.entries(value).reverse()) as typeof value;
    expect(renderInterface(reversed)).to.equal(renderInterface(value));
  });

  it('matches the MAC in lower case and renames the NIC to its name', () => {
    const eth = ethernetOf(renderInterface(iface({ macAddress: 'FA:16:3E:AB:CD:EF' })), 'multinic0');
    expect(eth.match).to.deep.equal({ macaddress: 'fa:16:3e:ab:cd:ef' });
    expect(eth['set-name']).to.equal('multinic0');
  });

  it('uses DHCP of the subnet family only, without its routes, when there is no address', () => {
    const v4 = ethernetOf(renderInterface(GOLDEN_CASES.dhcp4!), 'multinic2');
    expect(v4).to.include({ dhcp4: true });
    expect(v4).not.to.have.property('dhcp6');
    expect(v4['dhcp4-overrides']).to.deep.equal({ 'use-routes': false });
    expect(v4).not.to.have.property('addresses');
    const v6 = ethernetOf(renderInterface(GOLDEN_CASES.dhcp6!), 'multinic3');
    expect(v6).to.include({ dhcp6: true, 'accept-ra': false });
    expect(v6).not.to.have.property('dhcp4');
    expect(v6['dhcp6-overrides']).to.deep.equal({ 'use-routes': false });
  });

  it('never renders a route or a gateway, and refuses router advertisements', () => {
    for (const [key, value] of Object.entries(GOLDEN_CASES)) {
      const eth = ethernetOf(renderInterface(value), value.name);
      for (const forbidden of ['routes', 'gateway4', 'gateway6', 'routing-policy', 'nameservers']) {
        expect(eth, `${key} ${forbidden}`).not.to.have.property(forbidden);
      }
      expect(eth['accept-ra'], key).to.equal(false);
    }
  });

  it('renders the static address with the prefix of the cidr, canonically', () => {
    const eth = ethernetOf(renderInterface(iface({ cidr: 'fd00:20::/64', address: 'FD00:0020:0:0::0011' })), 'multinic0');
    expect(eth.addresses).to.deep.equal(['fd00:20::11/64']);
  });

  it('renders mtu only when set', () => {
    expect(ethernetOf(renderInterface(iface({ mtu: 1450 })), 'multinic0').mtu).to.equal(1450);
    expect(ethernetOf(renderInterface(iface()), 'multinic0')).not.to.have.property('mtu');
  });

  it('refuses values it cannot render safely', () => {
    const bad = [
      iface({ macAddress: 'not-a-mac' }),
      iface({ macAddress: '01:00:5e:00:00:01' }),
      iface({ cidr: '10.20.0.1/24' }),
      iface({ address: '10.30.0.1' }),
      iface({ address: '10.20.0.11\n      routes: []' }),
      iface({ cidr: 'fd00::/64', address: 'fd00::1', mtu: 1000 }),
      iface({ mtu: 100000 }),
      iface({ mtu: 1500.5 }),
    ];
    for (const value of bad) expect(() => renderInterface(value), JSON.stringify(value)).to.throw(HostError);
  });

  it('keeps hostile strings in the meta on one line, and the YAML intact', () => {
    for (const hostile of HOSTILE_STRINGS) {
      const value = iface({ portId: hostile, subnetId: hostile, networkId: hostile, origin: hostile });
      const text = renderInterface(value);
      const lines = text.split(/\r\n|\r|\n|\u0085|\u2028|\u2029/);
      expect(lines[0], JSON.stringify(hostile)).to.equal(OWNED_MARKER);
      expect(lines[1]!.startsWith(META_PREFIX), JSON.stringify(hostile)).to.equal(true);
      expect(lines[2], JSON.stringify(hostile)).to.equal('network:');
      expect(/^[\x20-\x7e\n]*$/.test(text), 'file is printable ASCII').to.equal(true);
      expect(ethernetOf(text, 'multinic0').addresses).to.deep.equal(['10.20.0.11/24']);
      expect(parseOwnedFile(text, '90-multinic-multinic0.yaml')).to.deep.equal(value);
    }
  });
});
