import type { InterfaceEventData } from '../events/types.js';

/** The fields that decide what the host carries for a port; the rest (CR names, subnet name) is bookkeeping. */
export type Content = Pick<InterfaceEventData, 'portId' | 'macAddress' | 'subnetId' | 'networkId' | 'cidr' | 'address' | 'mtu'>;

/**
 * True when the host's configuration of a port is what `data` asks for. Both sides are
 * canonical (the validator lower-cases MACs and canonicalises CIDRs and addresses), so
 * plain equality is enough.
 */
export function sameContent(a: Content, b: Content): boolean {
  return (
    a.portId === b.portId &&
    a.macAddress === b.macAddress &&
    a.subnetId === b.subnetId &&
    a.networkId === b.networkId &&
    a.cidr === b.cidr &&
    a.address === b.address &&
    a.mtu === b.mtu
  );
}
