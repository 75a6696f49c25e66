import type { ConfiguredInterface } from '../../model/ports.js';
import { HostError } from '../../errors/errors.js';
import { checkAddress, isInvalid, normalizeMac, parseSubnet } from '../../events/network.js';

/** `Key=value` lines of a systemd unit-style file, section headers and comments dropped. */
function settings(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';') && !l.startsWith('['))
    .map((l) => {
      const i = l.indexOf('=');
      return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
}

const DEFAULT_DESTINATIONS = new Set(['0.0.0.0/0', '::/0', 'default']);

/**
 * Second guard against a render bug: checks that what `netplan generate` produced for
 * `iface` (`10-netplan-<name>.network`) matches its MAC, carries exactly its address and
 * prefix (or DHCP for its family), its MTU, refuses RAs, and holds no gateway or default
 * route. Throws HostError naming the first mismatch.
 */
export function checkGenerated(iface: ConfiguredInterface, networkd: Record<string, string>): void {
  const unit = `10-netplan-${iface.name}.network`;
  const text = networkd[unit];
  const fail = (why: string): never => {
    throw new HostError(`netplan generated ${unit} that does not match ${iface.name}: ${why}`);
  };
  if (text === undefined) fail('file missing');
  const kv = settings(text!);
  const values = (key: string): string[] => kv.filter(([k]) => k === key).map(([, v]) => v);
  const mac = normalizeMac(iface.macAddress);
  const subnet = parseSubnet(iface.cidr);
  if (isInvalid(mac) || isInvalid(subnet)) return fail('interface has an invalid MAC or CIDR');
  const macs = [...values('PermanentMACAddress'), ...values('MACAddress')].map((m) => m.toLowerCase());
  if (!macs.includes(mac)) fail(`no match on MAC ${mac}`);
  const addresses = values('Address');
  if (iface.address === null) {
    if (addresses.length > 0) fail(`unexpected Address=${addresses.join(',')}`);
    const want = subnet.family === 4 ? 'ipv4' : 'ipv6';
    if (!values('DHCP').includes(want)) fail(`DHCP=${want} missing`);
  } else {
    const addr = checkAddress(iface.address, subnet);
    if (isInvalid(addr)) return fail(addr.error);
    const want = `${addr}/${subnet.prefix}`;
    if (addresses.length !== 1 || addresses[0] !== want) fail(`Address=${addresses.join(',') || '(none)'}, expected ${want}`);
  }
  const mtus = values('MTUBytes');
  if (iface.mtu !== null && !mtus.every((m) => m === String(iface.mtu))) fail(`MTUBytes=${mtus.join(',')}, expected ${iface.mtu}`);
  if (iface.mtu !== null && mtus.length === 0) fail(`MTUBytes missing, expected ${iface.mtu}`);
  if (!values('IPv6AcceptRA').includes('no')) fail('router advertisements are not refused');
  if (values('Gateway').length > 0) fail(`Gateway=${values('Gateway').join(',')}`);
  const defaults = values('Destination').filter((d) => DEFAULT_DESTINATIONS.has(d));
  if (defaults.length > 0) fail(`default route Destination=${defaults.join(',')}`);
  // A [Route] section with no Destination= is a default route in networkd.
  if (/^\[Route\]/m.test(text!) && values('Destination').length < (text!.match(/^\[Route\]/gm) ?? []).length) fail('a [Route] without Destination (default route)');
  if (values('UseRoutes').includes('true') || values('UseGateway').includes('true')) fail('DHCP routes are accepted');
}
