import { expect } from 'chai';
import { normalizeRow, toDate } from '../../../src/db/interface-row.js';
import { interfaceDataFromRow, rowGeneration, type InterfaceRowWithSubnet } from '../../../src/model/row-data.js';
import { isInvalid } from '../../../src/events/network.js';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function row(over: Partial<InterfaceRowWithSubnet> = {}): InterfaceRowWithSubnet {
  return {
    id: 1,
    port_id: '7f3e2a10-0000-4000-8000-000000000112',
    subnet_id: 'subnet-data',
    macaddress: 'FA:16:3E:10:01:12',
    attached_node_id: 'node-1-id',
    attached_node_name: 'worker-node-1',
    cr_namespace: 'multinic-system',
    cr_name: 'multinic-worker-node-1',
    netplan_success: 0,
    status: 'ACTIVE',
    address: '192.168.100.11',
    mtu: 1500,
    created_at: new Date(T - 60_000),
    modified_at: new Date(T),
    deleted_at: null,
    subnet_name: 'data-net',
    cidr: '192.168.100.0/24',
    network_id: 'network-data',
    ...over,
  };
}

function errorOf(r: InterfaceRowWithSubnet): string {
  const d = interfaceDataFromRow(r);
  if (!isInvalid(d)) throw new Error(`expected an error, got ${JSON.stringify(d)}`);
  expect(d.error).to.not.match(/[\r\n]/);
  return d.error;
}

describe('interfaceDataFromRow', () => {
  it('maps a good row to canonical event data', () => {
    expect(interfaceDataFromRow(row())).to.deep.equal({
      nodeName: 'worker-node-1',
      portId: '7f3e2a10-0000-4000-8000-000000000112',
      macAddress: 'fa:16:3e:10:01:12',
      subnetId: 'subnet-data',
      subnetName: 'data-net',
      networkId: 'network-data',
      cidr: '192.168.100.0/24',
      address: '192.168.100.11',
      mtu: 1500,
      crNamespace: 'multinic-system',
      crName: 'multinic-worker-node-1',
      generation: T,
    });
  });

  it('keeps a DHCP row (no address), no MTU and no CR', () => {
    const d = interfaceDataFromRow(row({ address: null, mtu: null, cr_namespace: null, cr_name: null }));
    expect(d).to.include({ address: null, mtu: null, crNamespace: null, crName: null });
  });

  it('accepts an IPv6 subnet and canonicalises the address', () => {
    const d = interfaceDataFromRow(row({ cidr: 'fd00:100:0::/64', address: 'fd00:100:0:0::11' }));
    expect(d).to.include({ cidr: 'fd00:100::/64', address: 'fd00:100::11' });
  });

  const malformed: Array<[string, Partial<InterfaceRowWithSubnet>, RegExp]> = [
    ['a bad MAC', { macaddress: 'fa:16:3e:zz:01:12' }, /MAC "fa:16:3e:zz:01:12" is not six/],
    ['a multicast MAC', { macaddress: '01:00:5e:00:00:01' }, /multicast/],
    ['a missing MAC', { macaddress: null }, /macaddress is empty/],
    ['a garbage CIDR', { cidr: 'not-a-cidr' }, /cidr "not-a-cidr" is not of the form/],
    ['a CIDR with host bits', { cidr: '192.168.100.1/24' }, /host bits set/],
    ['an address outside the CIDR', { address: '10.9.9.9' }, /address 10\.9\.9\.9 is outside its cidr 192\.168\.100\.0\/24/],
    ['an IPv4 address on an IPv6 subnet', { cidr: 'fd00::/64' }, /is IPv4 but cidr fd00::\/64 is IPv6/],
    ['an unknown subnet', { subnet_name: null, cidr: null, network_id: null }, /unknown subnet "subnet-data"/],
    ['no subnet at all', { subnet_id: null }, /names no subnet/],
    ['no node', { attached_node_name: null }, /names no node/],
    ['an MTU out of range', { mtu: 100 }, /mtu 100 is outside 576-9216/],
    ['an MTU below the IPv6 floor', { cidr: 'fd00::/64', address: null, mtu: 1000 }, /below 1280/],
    ['a node name with spaces', { attached_node_name: 'worker node 1' }, /attached_node_name has characters/],
    ['a node name with shell metacharacters', { attached_node_name: 'w1;rm -rf /' }, /attached_node_name has characters/],
    ['a port id with YAML metacharacters', { port_id: 'p: {x}' }, /port_id has characters/],
    ['a subnet name with a newline', { subnet_name: 'data\nnet' }, /multi_subnet\.subnet_name has characters/],
    ['a CR name with $(...)', { cr_name: '$(reboot)' }, /cr_name has characters/],
  ];
  for (const [what, over, message] of malformed) {
    it(`rejects ${what} with a one-line reason`, () => {
      expect(errorOf(row(over))).to.match(message);
    });
  }
});

describe('generations', () => {
  it('is modified_at in milliseconds', () => {
    expect(rowGeneration(row())).to.equal(T);
  });
  it('falls back to created_at when modified_at is null', () => {
    expect(rowGeneration(row({ modified_at: null }))).to.equal(T - 60_000);
  });
  it('gives whole seconds for a DATETIME without fraction and ms for DATETIME(3)', () => {
    expect(normalizeRow({ ...row(), modified_at: '2026-01-02 03:04:05' }).modified_at!.getTime()).to.equal(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(normalizeRow({ ...row(), modified_at: '2026-01-02 03:04:05.678' }).modified_at!.getTime()).to.equal(T);
  });
  it('reads integer epoch columns in seconds or milliseconds alike', () => {
    const s = Math.floor(T / 1000);
    expect(toDate(s)!.getTime()).to.equal(s * 1000);
    expect(toDate(T)!.getTime()).to.equal(T);
    expect(toDate(String(s))!.getTime()).to.equal(s * 1000);
  });
  it('treats null and unparsable values as missing', () => {
    expect(toDate(null)).to.equal(null);
    expect(toDate('garbage')).to.equal(null);
  });
});
