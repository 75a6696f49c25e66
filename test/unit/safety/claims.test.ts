import { expect } from 'chai';
import { globMatches, netplanClaims } from '../../../src/host/netplan/claims.js';
import { assertSoleOwner, ForeignClaimError, type NicIdentity } from '../../../src/host/ownership.js';

const nic: NicIdentity = { mac: 'fa:16:3e:10:00:01', currentName: 'ens4', newName: 'multinic0', driver: 'virtio_net' };
const files = new Map([
  ['50-cloud-init.yaml', 'network:\n  version: 2\n  ethernets:\n    ens4:\n      match: {macaddress: "fa:16:3e:10:00:01"}\n'],
  ['60-x.yaml', 'network:\n  ethernets:\n    all: {match: {name: "e*"}}\n    drv: {match: {driver: virtio_net}}\n    other: {match: {driver: mlx5_core}}\n    en: {match: {name: "en*", driver: mlx5_core}}\n'],
]);

/** The shapes netplan 0.106 generates (checked with `netplan generate --root-dir`). */
const networkd = {
  '10-netplan-ens4.network': '[Match]\nPermanentMACAddress=fa:16:3e:10:00:01\nName=ens4\n\n[Network]\nDHCP=ipv4\nVLAN=vlan5\n',
  '10-netplan-ens4.link': '[Match]\nPermanentMACAddress=fa:16:3e:10:00:01\n\n[Link]\nName=ens4\nWakeOnLan=off\n',
  '10-netplan-all.network': '[Match]\nName=e*\n\n[Network]\nDHCP=ipv4\n',
  '10-netplan-drv.network': '[Match]\nDriver=virtio_net\n',
  '10-netplan-other.network': '[Match]\nDriver=mlx5_core\n',
  '10-netplan-en.network': '[Match]\nName=en*\nDriver=mlx5_core\n',
  '10-netplan-multinic0.network': '[Match]\nPermanentMACAddress=fa:16:3e:10:00:01\nName=multinic0\n',
  '10-netplan-multinic0.link': '[Match]\nPermanentMACAddress=fa:16:3e:10:00:01\n\n[Link]\nName=multinic0\n',
  '10-netplan-bond0.netdev': '[NetDev]\nName=bond0\nKind=bond\n',
};

describe('one owner per NIC (host/ownership, host/netplan/claims)', () => {
  it('matches [Match] globs as fnmatch does, with negation', () => {
    expect(globMatches('e*', 'ens4')).to.equal(true);
    expect(globMatches('ens[0-9]', 'ens4')).to.equal(true);
    expect(globMatches('eth?', 'ens4')).to.equal(false);
    expect(globMatches('!e*', 'multinic0')).to.equal(true);
    expect(globMatches('multinic0', 'multinic0')).to.equal(true);
  });

  it('finds every other definition that claims the NIC, with how and the file, and skips its own and non-matching ones', () => {
    const claims = netplanClaims(networkd, files, '/etc/netplan', nic);
    expect(claims).to.deep.equal([
      { files: ['/etc/netplan/50-cloud-init.yaml'], definition: 'ens4', how: 'matches MAC fa:16:3e:10:00:01 as the parent of VLAN vlan5; matches MAC fa:16:3e:10:00:01 and renames it to ens4' },
      { files: ['/etc/netplan/60-x.yaml'], definition: 'all', how: 'matches name e*' },
      { files: ['/etc/netplan/60-x.yaml'], definition: 'drv', how: 'matches driver virtio_net' },
    ]);
  });

  it('counts a driver match when the NIC has no device to tell its driver', () => {
    const claims = netplanClaims({ '10-netplan-other.network': networkd['10-netplan-other.network'] }, files, '/etc/netplan', { ...nic, driver: undefined });
    expect(claims.map((c) => c.how)).to.deep.equal(['matches driver mlx5_core (driver of the NIC unknown)']);
  });

  it("names a .link that gives the NIC's new name to another NIC", () => {
    const link = { '10-netplan-x.link': '[Match]\nPermanentMACAddress=fa:16:3e:99:99:99\n\n[Link]\nName=multinic0\n' };
    expect(netplanClaims(link, new Map(), '/etc/netplan', nic)).to.deep.equal([{ files: [], definition: 'x', how: 'gives the name multinic0 to another NIC' }]);
  });

  it('refuses with a permanent ForeignClaimError naming each file, or passes when nobody else claims it', () => {
    expect(() => assertSoleOwner(nic, [])).to.not.throw();
    expect(() => assertSoleOwner(nic, [{ files: ['/etc/netplan/50-cloud-init.yaml'], definition: 'ens4', how: 'matches MAC fa:16:3e:10:00:01' }])).to.throw(
      ForeignClaimError,
      /refusing ens4 \(MAC fa:16:3e:10:00:01\) as multinic0: another configuration claims it: \/etc\/netplan\/50-cloud-init\.yaml \(ens4\) matches MAC/,
    );
  });
});
