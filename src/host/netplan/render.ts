import { Document } from 'yaml';
import { INTERFACE_NAME } from '../../model/interface-name.js';
import type { ConfiguredInterface } from '../../model/ports.js';
import { HostError } from '../../errors/errors.js';
import { ownedHeader } from '../owned-meta.js';
import { renderValues } from '../render-values.js';

// The marker and meta are backend-neutral (src/host/owned-meta.ts); re-exported for the netplan tests.
export { META_KEYS, META_PREFIX, OWNED_MARKER, metaJson } from '../owned-meta.js';

/** The netplan file name of one interface: `90-multinic-<name>.yaml` (after the distro's 50-*.yaml). */
export function fileNameFor(name: string): string {
  if (!INTERFACE_NAME.test(name)) throw new HostError(`interface name ${JSON.stringify(name)} is not multinicN`);
  return `90-multinic-${name}.yaml`;
}

/** The `ethernets.<name>` mapping; key order is fixed so output is deterministic. */
function ethernetFor(iface: ConfiguredInterface): Record<string, unknown> {
  const { mac, subnet, cidrAddress, mtu } = renderValues(iface);
  const eth: Record<string, unknown> = {
    match: { macaddress: mac },
    'set-name': iface.name,
    // A secondary NIC that is gone must not hold up boot (networkd-wait-online).
    optional: true,
    // Router advertisements would install a default route on this NIC; netplan 0.106 has
    // no ra-overrides to keep the rest of an RA, so RAs are refused on every MultiNIC NIC.
    'accept-ra': false,
  };
  if (cidrAddress === null) {
    // DHCP for the subnet's family only, and never its routes (networkd's UseGateway
    // follows UseRoutes), so the default route stays on the primary interface.
    if (subnet.family === 4) Object.assign(eth, { dhcp4: true, 'dhcp4-overrides': { 'use-routes': false } });
    else Object.assign(eth, { dhcp6: true, 'dhcp6-overrides': { 'use-routes': false } });
  } else {
    eth.addresses = [cidrAddress];
  }
  if (mtu !== null) eth.mtu = mtu;
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
  return `${ownedHeader(iface)}${body}`;
}
