import { createHash } from 'node:crypto';
import { HostError } from '../../errors/errors.js';
import { INTERFACE_NAME } from '../../model/interface-name.js';
import type { ConfiguredInterface } from '../../model/ports.js';
import { ownedHeader } from '../owned-meta.js';
import { renderValues } from '../render-values.js';

const PREFIX = 'multinic-';
const SUFFIX = '.nmconnection';

/**
 * The metric of every route NetworkManager installs for a MultiNIC NIC (the prefix route).
 * NM otherwise numbers each activation anew (100, 101, …: NETWORKMANAGER.md §2), so a
 * re-activation would change the node's routes; 1000 keeps ours behind the primary's
 * default-metric routes (100 for ethernet, nm-settings-nmcli(5) `ipv4.route-metric`).
 */
export const ROUTE_METRIC = 1000;

/** The keyfile name of interface `name`: `multinic-<name>.nmconnection`; throws HostError for a name that is not multinicN. */
export function keyfileNameFor(name: string): string {
  if (!INTERFACE_NAME.test(name)) throw new HostError(`interface name ${JSON.stringify(name)} is not multinicN`);
  return `${PREFIX}${name}${SUFFIX}`;
}

/** The interface name our keyfile name encodes, or undefined for any other file name. */
export function interfaceNameOfKeyfile(file: string): string | undefined {
  if (!file.startsWith(PREFIX) || !file.endsWith(SUFFIX)) return undefined;
  const name = file.slice(PREFIX.length, -SUFFIX.length);
  return INTERFACE_NAME.test(name) ? name : undefined;
}

/** The profile's `connection.id`: `multinic-<name>`, the keyfile name without its extension. */
export function profileId(name: string): string {
  return `${PREFIX}${name}`;
}

/** Namespace of MultiNIC's name-based profile UUIDs (a random v4 UUID, fixed forever). */
const UUID_NAMESPACE = Buffer.from('5b0d8a3e4d2c4a519b8e0a6d756c7469', 'hex');

/**
 * A name-based (version 5, SHA-1) UUID of `multinic-<name>`, RFC 9562 §5.5: the same name
 * always gets the same `connection.uuid`, so a re-render is byte-for-byte equal and two
 * keyfiles of ours never share a UUID (NETWORKMANAGER.md "traps": two files with one UUID
 * confuse NM).
 */
export function profileUuid(name: string): string {
  const h = createHash('sha1').update(UUID_NAMESPACE).update(profileId(name)).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The `[ipv4]` / `[ipv6]` lines of one family: this subnet's family gets the address (or DHCP), the other is off. */
function familyLines(family: 4 | 6, subnetFamily: 4 | 6, cidrAddress: string | null): string[] {
  if (family !== subnetFamily) return ['method=disabled'];
  // never-default: no default route from this NIC, even if DHCP offers a gateway.
  const common = ['never-default=true', `route-metric=${ROUTE_METRIC}`];
  if (cidrAddress !== null) return ['method=manual', `address1=${cidrAddress}`, ...common];
  // DHCP for the address only: routes and DNS it offers are ignored (nm-settings-nmcli(5)).
  return [`method=${family === 4 ? 'auto' : 'dhcp'}`, 'ignore-auto-dns=true', 'ignore-auto-routes=true', ...common];
}

/**
 * The full text of one interface's keyfile (nm-settings-keyfile(5)): the owned header
 * (marker and meta as `#` comments, src/host/owned-meta.ts), then an ethernet profile
 * matched by MAC only — a profile that also named the interface would not match before the
 * rename (NETWORKMANAGER.md §4) — with the subnet's address or DHCP, the MTU when set,
 * never-default, a pinned route metric, and the other IP family disabled. `autoconnect`
 * stays on so NetworkManager configures the NIC again after a reboot or a re-plug.
 * Every value is checked first (renderValues) and is one of a fixed shape, so nothing is
 * ever spliced into the file unchecked. Throws HostError for anything it cannot render.
 */
export function renderKeyfile(iface: ConfiguredInterface): string {
  keyfileNameFor(iface.name);
  const { mac, subnet, cidrAddress, mtu } = renderValues(iface);
  const lines = [
    '[connection]',
    `id=${profileId(iface.name)}`,
    `uuid=${profileUuid(iface.name)}`,
    'type=ethernet',
    'autoconnect=true',
    '',
    '[ethernet]',
    `mac-address=${mac.toUpperCase()}`,
    ...(mtu !== null ? [`mtu=${mtu}`] : []),
    '',
    '[ipv4]',
    ...familyLines(4, subnet.family, cidrAddress),
    '',
    '[ipv6]',
    ...familyLines(6, subnet.family, cidrAddress),
  ];
  return `${ownedHeader(iface)}${lines.join('\n')}\n`;
}
