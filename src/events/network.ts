import ipaddr from 'ipaddr.js';

/** A value that failed validation; `error` says why in one line. */
export interface Invalid {
  error: string;
}

/** True when a parse or check function returned an error rather than a value. */
export function isInvalid(v: unknown): v is Invalid {
  return typeof v === 'object' && v !== null && 'error' in v;
}

/** A parsed, canonical subnet. */
export interface Subnet {
  family: 4 | 6;
  /** Canonical text, e.g. `10.20.0.0/24`, `fd00:20::/64`. */
  cidr: string;
  prefix: number;
}

function strictParse(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && ipaddr.IPv6.isValid(text) && !text.includes('%')) return ipaddr.IPv6.parse(text);
  return undefined;
}

/**
 * Address ranges that can never be a host address on a secondary interface, by the name
 * ipaddr.js's `range()` gives them, with the range and its source for the reason:
 * IANA's special-purpose registries (RFC 6890) and the IPv6 addressing architecture
 * (RFC 4291). IPv4-compatible IPv6 (::/96, deprecated by RFC 4291 §2.5.5.1) has no
 * `range()` name and is checked apart.
 */
const UNUSABLE: Record<4 | 6, Record<string, string>> = {
  4: {
    unspecified: '"this network" 0.0.0.0/8 (RFC 1122 §3.2.1.3)',
    broadcast: 'the limited broadcast 255.255.255.255/32 (RFC 919)',
    multicast: 'multicast 224.0.0.0/4 (RFC 5771)',
    linkLocal: 'link-local 169.254.0.0/16 (RFC 3927)',
    loopback: 'loopback 127.0.0.0/8 (RFC 1122 §3.2.1.3)',
  },
  6: {
    unspecified: 'the unspecified address ::/128 (RFC 4291 §2.5.2)',
    loopback: 'the loopback address ::1/128 (RFC 4291 §2.5.3)',
    multicast: 'multicast ff00::/8 (RFC 4291 §2.7)',
    linkLocal: 'link-local fe80::/10 (RFC 4291 §2.5.6)',
    ipv4Mapped: 'IPv4-mapped IPv6 ::ffff:0:0/96 (RFC 4291 §2.5.5.2)',
  },
};
const IPV4_COMPATIBLE = 'IPv4-compatible IPv6 ::/96 (deprecated, RFC 4291 §2.5.5.1)';
const COMPATIBLE_PREFIX = ipaddr.IPv6.parse('::');

/** The unusable range an address lies in (its description), or null. */
function unusableRange(addr: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  if (addr.kind() === 'ipv4') return UNUSABLE[4][(addr as ipaddr.IPv4).range()] ?? null;
  const v6 = addr as ipaddr.IPv6;
  const named = UNUSABLE[6][v6.range()];
  if (named) return named;
  return v6.match(COMPATIBLE_PREFIX, 96) ? IPV4_COMPATIBLE : null;
}

/**
 * Parses a subnet CIDR strictly: four-part decimal IPv4 or plain IPv6 (no zone), a
 * prefix in range, no host bits set, and a network that is not in a range no interface
 * address can come from (loopback, multicast, link-local, unspecified, IPv4-mapped or
 * IPv4-compatible IPv6; see UNUSABLE): a mapped subnet like ::ffff:10.30.0.0/120 is
 * refused with the range named. Returns an error string for anything else.
 */
export function parseSubnet(cidr: string): Subnet | Invalid {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return { error: `cidr ${JSON.stringify(cidr)} is not of the form address/prefix` };
  const addr = strictParse(m[1]!);
  if (!addr) return { error: `cidr ${JSON.stringify(cidr)} has an invalid network address` };
  const prefix = Number(m[2]);
  const family = addr.kind() === 'ipv4' ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  if (prefix > max || prefix < 1) return { error: `cidr ${JSON.stringify(cidr)} has prefix /${prefix}, expected 1-${max} for IPv${family}` };
  const network = family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  if (network.toString() !== addr.toString()) return { error: `cidr ${JSON.stringify(cidr)} has host bits set (network is ${network.toString()}/${prefix})` };
  // A network at :: up to /96 spans the IPv4-compatible block, not only the unspecified address.
  const unusable = family === 6 && prefix <= 96 && (network as ipaddr.IPv6).match(COMPATIBLE_PREFIX, 96) ? IPV4_COMPATIBLE : unusableRange(network);
  if (unusable) return { error: `cidr ${cidr} is in ${unusable}: no interface address comes from it` };
  return { family, cidr: `${network.toString()}/${prefix}`, prefix };
}

/**
 * Checks that `address` is usable as a host address of an interface inside `subnet`:
 * the same family, inside the prefix, not in a range no interface address can come from
 * (UNUSABLE, e.g. IPv4-mapped ::ffff:10.30.0.9), and not an address the subnet reserves:
 * IPv4's network and broadcast addresses below /31 (/31 and /32 have none, RFC 3021),
 * IPv6's Subnet-Router anycast address (all interface bits zero, RFC 4291 §2.6.1) below
 * /127 (RFC 6164 §5.1 exempts /127). Returns the canonical address text, or `{ error }`
 * naming the range.
 */
export function checkAddress(address: string, subnet: Subnet): string | Invalid {
  const addr = strictParse(address);
  if (!addr) return { error: `address ${JSON.stringify(address)} is not a valid IP address` };
  const family = addr.kind() === 'ipv4' ? 4 : 6;
  if (family !== subnet.family) return { error: `address ${address} is IPv${family} but cidr ${subnet.cidr} is IPv${subnet.family}` };
  const range = ipaddr.parseCIDR(subnet.cidr);
  if (!addr.match(range)) return { error: `address ${address} is outside its cidr ${subnet.cidr}` };
  const unusable = unusableRange(addr);
  if (unusable) return { error: `address ${address} is in ${unusable}: not usable on an interface` };
  const text = addr.toString();
  if (family === 4 && subnet.prefix < 31) {
    if (text === ipaddr.IPv4.networkAddressFromCIDR(subnet.cidr).toString()) return { error: `address ${address} is the network address of ${subnet.cidr}` };
    if (text === ipaddr.IPv4.broadcastAddressFromCIDR(subnet.cidr).toString()) return { error: `address ${address} is the broadcast address of ${subnet.cidr}` };
  }
  if (family === 6 && subnet.prefix < 127 && text === ipaddr.IPv6.networkAddressFromCIDR(subnet.cidr).toString()) {
    return { error: `address ${address} is the Subnet-Router anycast address of ${subnet.cidr} (RFC 4291 §2.6.1)` };
  }
  return text;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * A MAC as people write it, in colon form: `fa:16:3e:10:01:12` (IEEE 802 / Linux),
 * `FA-16-3E-10-01-12` (IEEE 802 canonical with hyphens, Windows), `fa16.3e10.0112` (Cisco
 * dotted) and `fa163e100112` (bare), any case, surrounding blanks ignored. Returns the
 * lower-case colon form, or `{ error }` (ACCEPTED_FORM.macAddress says what is accepted); `normalizeMac` then
 * applies the address checks. Only `multinic publish` reads MACs written by hand.
 */
export function macFromText(text: string): string | Invalid {
  const t = text.trim().toLowerCase();
  const hex =
    /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/.test(t) ? t.replace(/[:-]/g, '')
    : /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(t) ? t.replace(/\./g, '')
    : /^[0-9a-f]{12}$/.test(t) ? t
    : undefined;
  if (hex === undefined) return { error: `${JSON.stringify(text)} is not a MAC address` };
  return hex.match(/../g)!.join(':');
}

/**
 * Normalises a MAC to lower-case colon form and rejects the ones that cannot be a
 * port's: all zeros, broadcast, and multicast (low bit of the first octet set).
 */
export function normalizeMac(mac: string): string | Invalid {
  const m = mac.trim().toLowerCase().replace(/-/g, ':');
  if (!MAC.test(m)) return { error: `MAC ${JSON.stringify(mac)} is not six colon-separated hex octets` };
  if (m === '00:00:00:00:00:00') return { error: 'MAC 00:00:00:00:00:00 is not a port address' };
  if (parseInt(m.slice(0, 2), 16) & 1) return { error: `MAC ${m} is a multicast/broadcast address` };
  return m;
}
