import { buildEvent } from '../../src/events/build.js';
import { EventType, type InterfaceEvent, type InterfaceEventData } from '../../src/events/types.js';
import type { ConfiguredInterface, PortRow } from '../../src/model/ports.js';
import { configuredInterface } from '../../src/model/configured.js';

/** A fixed generation so tests read as "older" / "newer" by offset. */
export const GEN = Date.UTC(2025, 0, 1, 12, 0, 0);

let portCounter = 0;

/** Valid event data for node `worker-1`; each call gets a new port and MAC unless given. */
export function interfaceData(over: Partial<InterfaceEventData> = {}): InterfaceEventData {
  const n = ++portCounter;
  const hex = n.toString(16).padStart(4, '0');
  return {
    nodeName: 'worker-1',
    portId: `port-${hex}`,
    macAddress: `fa:16:3e:00:${hex.slice(0, 2)}:${hex.slice(2)}`,
    subnetId: 'subnet-data',
    subnetName: 'data-net',
    networkId: 'net-data',
    cidr: '192.168.100.0/24',
    address: `192.168.100.${(n % 250) + 2}`,
    mtu: null,
    crNamespace: 'multinic-system',
    crName: 'multinic-worker-1',
    generation: GEN,
    ...over,
  };
}

/** An attach event as the publisher would send it (or another `source`). */
export function attachEvent(data: InterfaceEventData, source = '/multinic/publisher'): InterfaceEvent {
  return buildEvent(EventType.Attach, data, { source, now: () => new Date(GEN) });
}

export function detachEvent(data: InterfaceEventData, source = '/multinic/publisher'): InterfaceEvent {
  return buildEvent(EventType.Detach, data, { source, now: () => new Date(GEN) });
}

/** The row that `data` came from: live, not yet configured, same generation. */
export function rowFor(data: InterfaceEventData, over: Partial<PortRow> = {}): PortRow {
  return {
    portId: data.portId,
    nodeName: data.nodeName,
    generation: data.generation,
    deleted: false,
    netplanSuccess: false,
    data,
    lastFailure: null,
    ...over,
  };
}

/** What the host reports for `data` once configured. */
export function configuredFrom(data: InterfaceEventData, name: string, origin = '/multinic/publisher'): ConfiguredInterface {
  return configuredInterface(data, name, origin);
}
