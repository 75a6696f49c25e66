import { expect } from 'chai';
import type { ConfiguredInterface, NodeInterfaceState } from '../../../src/model/ports.js';
import { Annotations, Labels, MAX_LAST_ERROR_LENGTH, computeNodePatch, naturalCompare } from '../../../src/kube/patch.js';

/** A configured interface with plausible defaults; `n` picks the name and MAC. */
function iface(n: number, over: Partial<ConfiguredInterface> = {}): ConfiguredInterface {
  const hex = n.toString(16).padStart(2, '0');
  return {
    name: `multinic${n}`,
    macAddress: `fa:16:3e:00:00:${hex}`,
    portId: `port-${n}`,
    subnetId: 'subnet-a',
    networkId: 'net-a',
    cidr: '10.10.0.0/24',
    address: `10.10.0.${n + 10}`,
    mtu: 1450,
    generation: 1_700_000_000_000 + n,
    origin: '/multinic/publisher',
    ...over,
  };
}

const state = (interfaces: ConfiguredInterface[], ready = true, lastError: string | null = null): NodeInterfaceState => ({
  interfaces,
  ready,
  lastError,
});

const annotationOf = (s: NodeInterfaceState) => JSON.parse(computeNodePatch(s).metadata.annotations[Annotations.Interfaces]!) as Array<Record<string, unknown>>;

/** Kubernetes label value syntax (apimachinery IsValidLabelValue). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('computeNodePatch', () => {
  it('labels the node with its host backend when the state names one, and only then', () => {
    const state: NodeInterfaceState = { interfaces: [], ready: true, lastError: null };
    expect(computeNodePatch({ ...state, backend: 'networkmanager' }).metadata.labels).to.deep.equal({
      [Labels.InterfaceCount]: '0', [Labels.Ready]: 'true', [Labels.Backend]: 'networkmanager',
    });
    expect(Labels.Backend).to.equal('multinic.io/backend');
    expect(computeNodePatch(state).metadata.labels).to.not.have.property(Labels.Backend);
  });

  it('describes an empty, healthy node: empty array, count 0, ready, last-error deleted', () => {
    const patch = computeNodePatch(state([]));

    expect(patch).to.deep.equal({
      metadata: {
        labels: { [Labels.InterfaceCount]: '0', [Labels.Ready]: 'true' },
        annotations: { [Annotations.Interfaces]: '[]', [Annotations.LastError]: null },
      },
    });
  });

  it('lists every interface with exactly the DESIGN fields, including IPv6 and DHCP (null address/mtu)', () => {
    const v6 = iface(1, { cidr: '2001:db8:1::/64', address: '2001:db8:1::10', mtu: 1500 });
    const dhcp = iface(0, { address: null, mtu: null });

    const entries = annotationOf(state([v6, dhcp]));

    expect(entries).to.deep.equal([
      { name: 'multinic0', macAddress: 'fa:16:3e:00:00:00', portId: 'port-0', subnetId: 'subnet-a', networkId: 'net-a', cidr: '10.10.0.0/24', address: null, mtu: null },
      { name: 'multinic1', macAddress: 'fa:16:3e:00:00:01', portId: 'port-1', subnetId: 'subnet-a', networkId: 'net-a', cidr: '2001:db8:1::/64', address: '2001:db8:1::10', mtu: 1500 },
    ]);
    expect(Object.keys(entries[0]!)).to.deep.equal(['name', 'macAddress', 'portId', 'subnetId', 'networkId', 'cidr', 'address', 'mtu']);
    expect(computeNodePatch(state([v6, dhcp])).metadata.labels[Labels.InterfaceCount]).to.equal('2');
  });

  it('sorts by name in natural order, so multinic2 comes before multinic10', () => {
    const names = annotationOf(state([iface(10), iface(2), iface(11), iface(1), iface(0)])).map((e) => e.name);

    expect(names).to.deep.equal(['multinic0', 'multinic1', 'multinic2', 'multinic10', 'multinic11']);
  });

  it('gives the same bytes for the same state whatever the input order', () => {
    const a = [iface(3), iface(12), iface(1, { address: null })];
    const b = [a[2]!, a[0]!, a[1]!];

    expect(JSON.stringify(computeNodePatch(state(b, false, 'x')))).to.equal(JSON.stringify(computeNodePatch(state(a, false, 'x'))));
  });

  it('marks a node not ready and states the reason in last-error', () => {
    const patch = computeNodePatch(state([iface(0)], false, 'port port-9: bad MAC "zz"'));

    expect(patch.metadata.labels[Labels.Ready]).to.equal('false');
    expect(patch.metadata.annotations[Annotations.LastError]).to.equal('port port-9: bad MAC "zz"');
  });

  it('still sets last-error when a not-ready state carries no reason', () => {
    const value = computeNodePatch(state([], false, null)).metadata.annotations[Annotations.LastError];

    expect(value).to.be.a('string').and.not.be.empty;
  });

  it('deletes last-error (null) once the node is healthy again', () => {
    const broken = computeNodePatch(state([], false, 'netplan generate failed'));
    const healed = computeNodePatch(state([iface(0)], true, null));

    expect(broken.metadata.annotations).to.have.property(Annotations.LastError, 'netplan generate failed');
    expect(healed.metadata.annotations).to.have.property(Annotations.LastError, null);
  });

  it('reduces a long, multi-line error to one bounded line', () => {
    const long = `netplan: /etc/netplan/90-multinic-port-1.yaml:3:7: Error in network definition\n\tinvalid\r\n${'x'.repeat(5000)}`;

    const value = computeNodePatch(state([], false, long)).metadata.annotations[Annotations.LastError]!;

    expect(value).to.not.match(/[\r\n\t]/);
    expect(value.length).to.be.at.most(MAX_LAST_ERROR_LENGTH);
    expect(value).to.match(/^netplan: \/etc\/netplan\/90-multinic-port-1\.yaml:3:7: Error in network definition invalid x+…$/);
  });

  it('never cuts a surrogate pair when truncating', () => {
    const value = computeNodePatch(state([], false, `${'a'.repeat(MAX_LAST_ERROR_LENGTH - 2)}😀😀😀`)).metadata.annotations[Annotations.LastError]!;

    expect(value).to.not.match(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(value.endsWith('…')).to.equal(true);
  });

  it('only produces valid Kubernetes label values', () => {
    const many = Array.from({ length: 130 }, (_, n) => iface(n));
    for (const s of [state([]), state(many, true), state(many, false, 'boom')]) {
      for (const value of Object.values(computeNodePatch(s).metadata.labels)) {
        expect(value).to.match(LABEL_VALUE);
        expect(value.length).to.be.at.most(63);
      }
    }
  });

  it('keeps internal fields (generation, origin) out of the annotation', () => {
    const text = computeNodePatch(state([iface(0, { origin: '/external/tool' })])).metadata.annotations[Annotations.Interfaces]!;

    expect(text).to.not.include('origin').and.not.include('generation').and.not.include('/external/tool');
  });
});

describe('naturalCompare', () => {
  it('orders digit runs numerically, of any length, and text lexically', () => {
    const sorted = ['multinic10', 'multinic9', 'b1', 'a2', 'multinic100000000000000000001', 'multinic02', 'multinic1'].sort(naturalCompare);

    expect(sorted).to.deep.equal(['a2', 'b1', 'multinic1', 'multinic02', 'multinic9', 'multinic10', 'multinic100000000000000000001']);
  });
});
