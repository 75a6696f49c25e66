import { Document } from 'yaml';
import { INTERFACE_NAME } from '../../model/interface-name.js';
import type { ConfiguredInterface } from '../../model/ports.js';
import { HostError } from '../../errors/errors.js';
import { checkAddress, isInvalid, normalizeMac, parseSubnet } from '../../events/network.js';

/**
 * First line of every netplan file MultiNIC owns. A file is only ever treated as ours
 * when this is its first line AND its name and meta agree (see owned-files.ts).
 */
export const OWNED_MARKER = '# Managed by MultiNIC (multinic.io). Do not edit: changes are overwritten.';

/** Prefix of the second line, which carries the whole ConfiguredInterface as one-line JSON. */
export const META_PREFIX = '# multinic-meta: ';

/** Keys of the meta JSON, in the order they are written: fixed so the same input gives the same bytes. */
export const META_KEYS = [
  'name', 'macAddress', 'portId', 'subnetId', 'networkId', 'cidr', 'address', 'mtu', 'generation', 'origin',
] as const satisfies ReadonlyArray<keyof ConfiguredInterface>;

/** The netplan file name of one interface: `90-multinic-<name>.yaml` (after the distro's 50-*.yaml). */
export function fileNameFor(name: string): string {
  if (!INTERFACE_NAME.test(name)) throw new HostError(`interface name ${JSON.stringify(name)} is not multinicN`);
  return `90-multinic-${name}.yaml`;
}

/**
 * JSON of the meta, restricted to ASCII. JSON.stringify already escapes CR and LF, but
 * libyaml (netplan's parser, YAML 1.1) also ends a comment at NEL, U+2028 and U+2029,
 * which JSON leaves raw; escaping everything outside printable ASCII keeps the comment
 * one line for every parser and keeps the file plain ASCII.
 */
export function metaJson(iface: ConfiguredInterface): string {
  const ordered: Record<string, unknown> = {};
  for (const key of META_KEYS) ordered[key] = iface[key];
  return JSON.stringify(ordered).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The `ethernets.<name>` mapping; key order is fixed so output is deterministic. */
function ethernetFor(iface: ConfiguredInterface): Record<string, unknown> {
  const mac = normalizeMac(iface.macAddress);
  if (isInvalid(mac)) throw new HostError(`cannot render ${iface.name}: ${mac.error}`);
  const subnet = parseSubnet(iface.cidr);
  if (isInvalid(subnet)) throw new HostError(`cannot render ${iface.name}: ${subnet.error}`);
  if (iface.mtu !== null && (!Number.isInteger(iface.mtu) || iface.mtu < 576 || iface.mtu > 9216 || (subnet.family === 6 && iface.mtu < 1280))) {
    throw new HostError(`cannot render ${iface.name}: mtu ${iface.mtu} is out of range for IPv${subnet.family}`);
  }
  const eth: Record<string, unknown> = {
    match: { macaddress: mac },
    'set-name': iface.name,
    // A secondary NIC that is gone must not hold up boot (networkd-wait-online).
    optional: true,
    // Router advertisements would install a default route on this NIC; netplan 0.106 has
    // no ra-overrides to keep the rest of an RA, so RAs are refused on every MultiNIC NIC.
    'accept-ra': false,
  };
  if (iface.address === null) {
    // DHCP for the subnet's family only, and never its routes (networkd's UseGateway
    // follows UseRoutes), so the default route stays on the primary interface.
    if (subnet.family === 4) Object.assign(eth, { dhcp4: true, 'dhcp4-overrides': { 'use-routes': false } });
    else Object.assign(eth, { dhcp6: true, 'dhcp6-overrides': { 'use-routes': false } });
  } else {
    const address = checkAddress(iface.address, subnet);
    if (isInvalid(address)) throw new HostError(`cannot render ${iface.name}: ${address.error}`);
    eth.addresses = [`${address}/${subnet.prefix}`];
  }
  if (iface.mtu !== null) eth.mtu = iface.mtu;
  return eth;
}

/**
 * The full text of one interface's netplan file: the marker, the meta line (so the file
 * can be read back into the ConfiguredInterface it came from), then the YAML. Emitted by
 * the `yaml` library with every string double-quoted, so no value is ever spliced into
 * YAML syntax and YAML 1.1 readers cannot take a MAC for a base-60 number. Validates the
 * values it renders and throws HostError for anything it cannot render safely.
 */
export function renderInterface(iface: ConfiguredInterface): string {
  fileNameFor(iface.name);
  const doc = new Document({ network: { version: 2, ethernets: { [iface.name]: ethernetFor(iface) } } }, { version: '1.1' });
  const body = doc.toString({ defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
  return `${OWNED_MARKER}\n${META_PREFIX}${metaJson(iface)}\n${body}`;
}
