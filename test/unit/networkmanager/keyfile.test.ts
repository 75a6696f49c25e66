import { expect } from 'chai';
import { keyfileValue, parseKeyfile } from '../../../src/host/networkmanager/keyfile.js';
import { parseIfcfg } from '../../../src/host/networkmanager/claims.js';
import { interfaceNameOfKeyfile, keyfileNameFor, profileUuid, renderKeyfile, ROUTE_METRIC } from '../../../src/host/networkmanager/render.js';
import { parseOwnedHeader } from '../../../src/host/owned-meta.js';
import { configuredFrom, interfaceData } from '../../helpers/builders.js';

describe('NetworkManager keyfiles', () => {
  describe('parseKeyfile (GLib key-file syntax)', () => {
    it('reads groups and keys, skips comments and localised keys, unescapes, and lets a later key win', () => {
      const kf = parseKeyfile('# c\n[connection]\nid = my\\sprofile\nid=second\n\n[ethernet]\r\nmac-address=FA:16:3E:00:00:01\nname[de]=x\n  # indented comment\n');
      expect(keyfileValue(kf, 'connection', 'id')).to.equal('second');
      expect(keyfileValue(kf, 'ethernet', 'mac-address')).to.equal('FA:16:3E:00:00:01');
      expect(kf.get('ethernet')?.has('name[de]')).to.equal(false);
      expect(keyfileValue(parseKeyfile('[a]\nk=one\\stwo\\\\'), 'a', 'k')).to.equal('one two\\');
      expect(keyfileValue(kf, 'ipv4', 'method')).to.equal(undefined);
    });
  });

  describe('parseIfcfg', () => {
    it('reads shell-style assignments with or without quotes, and nothing else', () => {
      const v = parseIfcfg('# x\nDEVICE="eth1"\nHWADDR=fa:16:3e:00:00:02\nNAME=\'System eth1\'\nexport FOO=bar\n');
      expect(Object.fromEntries(v)).to.deep.equal({ DEVICE: 'eth1', HWADDR: 'fa:16:3e:00:00:02', NAME: 'System eth1' });
    });
  });

  describe('names and UUIDs', () => {
    it('maps multinicN to multinic-multinicN.nmconnection and back, and nothing else', () => {
      expect(keyfileNameFor('multinic12')).to.equal('multinic-multinic12.nmconnection');
      expect(interfaceNameOfKeyfile('multinic-multinic12.nmconnection')).to.equal('multinic12');
      for (const f of ['multinic-eth0.nmconnection', 'multinic-multinic01.nmconnection', 'multinic-multinic1.nmconnection~', 'cloud-init-ens3.nmconnection']) {
        expect(interfaceNameOfKeyfile(f), f).to.equal(undefined);
      }
      expect(() => keyfileNameFor('eth0')).to.throw(/not multinicN/);
    });

    it('gives each name one stable version-5 UUID (RFC 9562), different per name', () => {
      const u = profileUuid('multinic0');
      expect(u).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(profileUuid('multinic0')).to.equal(u);
      expect(profileUuid('multinic1')).to.not.equal(u);
    });
  });

  describe('renderKeyfile', () => {
    it('renders a static IPv4 port: MAC match only, address/prefix from the subnet, MTU, never-default, pinned metric, IPv6 off', () => {
      const iface = configuredFrom(interfaceData({ macAddress: 'fa:16:3e:00:00:0a', cidr: '10.20.0.0/24', address: '10.20.0.11', mtu: 9000 }), 'multinic3');
      const text = renderKeyfile(iface);
      expect(parseOwnedHeader(text, keyfileNameFor, 'multinic-multinic3.nmconnection')).to.deep.equal(iface);
      const kf = parseKeyfile(text);
      expect(Object.fromEntries(kf.get('connection')!)).to.deep.equal({ id: 'multinic-multinic3', uuid: profileUuid('multinic3'), type: 'ethernet', autoconnect: 'true' });
      expect(Object.fromEntries(kf.get('ethernet')!)).to.deep.equal({ 'mac-address': 'FA:16:3E:00:00:0A', mtu: '9000' });
      expect(Object.fromEntries(kf.get('ipv4')!)).to.deep.equal({ method: 'manual', address1: '10.20.0.11/24', 'never-default': 'true', 'route-metric': String(ROUTE_METRIC) });
      expect(Object.fromEntries(kf.get('ipv6')!)).to.deep.equal({ method: 'disabled' });
      expect(renderKeyfile(iface)).to.equal(text);
    });

    it('renders DHCP without routes, DNS or a default route, in the subnet family only', () => {
      const v4 = parseKeyfile(renderKeyfile(configuredFrom(interfaceData({ cidr: '10.20.0.0/24', address: null }), 'multinic0')));
      expect(Object.fromEntries(v4.get('ipv4')!)).to.deep.equal({ method: 'auto', 'ignore-auto-dns': 'true', 'ignore-auto-routes': 'true', 'never-default': 'true', 'route-metric': String(ROUTE_METRIC) });
      expect(v4.get('ethernet')!.has('mtu')).to.equal(false);
      const v6 = parseKeyfile(renderKeyfile(configuredFrom(interfaceData({ cidr: 'fd00:20::/64', address: null }), 'multinic0')));
      expect(keyfileValue(v6, 'ipv6', 'method')).to.equal('dhcp');
      expect(keyfileValue(v6, 'ipv6', 'ignore-auto-routes')).to.equal('true');
      expect(keyfileValue(v6, 'ipv4', 'method')).to.equal('disabled');
    });

    it('refuses what it cannot render safely, naming the value', () => {
      const render = (over: Parameters<typeof interfaceData>[0], name = 'multinic0') => () => renderKeyfile(configuredFrom(interfaceData(over), name));
      expect(render({ address: '10.99.0.1', cidr: '10.20.0.0/24' })).to.throw(/multinic0/);
      expect(render({ macAddress: 'fa:16:3e:00:00' })).to.throw(/cannot render multinic0/);
      expect(render({ cidr: 'fd00::/64', address: 'fd00::5', mtu: 1279 })).to.throw(/out of range for IPv6/);
      expect(render({}, 'eth0')).to.throw(/not multinicN/);
    });
  });
});
