import type { ConfiguredInterface } from '../model/ports.js';
import { HostError } from '../errors/errors.js';
import { checkAddress, isInvalid, normalizeMac, parseSubnet, type Subnet } from '../events/network.js';

/** The values every backend renders for one interface, each checked once. */
export interface RenderValues {
  /** Lower-case, colon-separated. */
  mac: string;
  subnet: Subnet;
  /** `address/prefix` with the prefix from the subnet, or null for DHCP in the subnet's family. */
  cidrAddress: string | null;
  /** Bytes, or null to leave the NIC's MTU alone. */
  mtu: number | null;
}

/**
 * Checks what a backend is about to render and returns it normalised: the MAC, the
 * subnet, the address inside the subnet (prefix from the subnet's CIDR), the MTU in
 * 576–9216 (1280 on IPv6, RFC 8200 §5). Throws HostError naming the interface and the
 * first bad value, so a renderer never writes anything it could not check.
 */
export function renderValues(iface: ConfiguredInterface): RenderValues {
  const mac = normalizeMac(iface.macAddress);
  if (isInvalid(mac)) throw new HostError(`cannot render ${iface.name}: ${mac.error}`);
  const subnet = parseSubnet(iface.cidr);
  if (isInvalid(subnet)) throw new HostError(`cannot render ${iface.name}: ${subnet.error}`);
  if (iface.mtu !== null && (!Number.isInteger(iface.mtu) || iface.mtu < 576 || iface.mtu > 9216 || (subnet.family === 6 && iface.mtu < 1280))) {
    throw new HostError(`cannot render ${iface.name}: mtu ${iface.mtu} is out of range for IPv${subnet.family}`);
  }
  let cidrAddress: string | null = null;
  if (iface.address !== null) {
    const address = checkAddress(iface.address, subnet);
    if (isInvalid(address)) throw new HostError(`cannot render ${iface.name}: ${address.error}`);
    cidrAddress = `${address}/${subnet.prefix}`;
  }
  return { mac, subnet, cidrAddress, mtu: iface.mtu };
}
