import type { InterfaceEventData } from '../events/types.js';
import type { ConfiguredInterface } from './ports.js';

/** What a file records for one port's data once it has a name: the ConfiguredInterface to render. */
export function configuredInterface(data: InterfaceEventData, name: string, origin: string): ConfiguredInterface {
  return {
    name,
    macAddress: data.macAddress,
    portId: data.portId,
    subnetId: data.subnetId,
    networkId: data.networkId,
    cidr: data.cidr,
    address: data.address,
    mtu: data.mtu,
    generation: data.generation,
    origin,
  };
}
