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
 * Parses a subnet CIDR strictly: four-part decimal IPv4 or plain IPv6 (no zone), a
 * prefix in range, and no host bits set. Returns an error string for anything else.
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
  return { family, cidr: `${network.toString()}/${prefix}`, prefix };
}

/**
 * Checks that `address` is a usable host address inside `subnet`: the same family,
 * inside the prefix, and (IPv4 below /31) neither the network nor the broadcast address.
 * Returns the canonical address text, or `{ error }`.
 */
export function checkAddress(address: string, subnet: Subnet): string | Invalid {
  const addr = strictParse(address);
  if (!addr) return { error: `address ${JSON.stringify(address)} is not a valid IP address` };
  const family = addr.kind() === 'ipv4' ? 4 : 6;
  if (family !== subnet.family) return { error: `address ${address} is IPv${family} but cidr ${subnet.cidr} is IPv${subnet.family}` };
  const range = ipaddr.parseCIDR(subnet.cidr);
  if (!addr.match(range)) return { error: `address ${address} is outside its cidr ${subnet.cidr}` };
  if (family === 4 && subnet.prefix < 31) {
    const text = addr.toString();
    if (text === ipaddr.IPv4.networkAddressFromCIDR(subnet.cidr).toString()) return { error: `address ${address} is the network address of ${subnet.cidr}` };
    if (text === ipaddr.IPv4.broadcastAddressFromCIDR(subnet.cidr).toString()) return { error: `address ${address} is the broadcast address of ${subnet.cidr}` };
  }
  if (family === 6 && (addr as ipaddr.IPv6).range() === 'linkLocal' && !subnet.cidr.startsWith('fe80')) {
    return { error: `address ${address} is link-local` };
  }
  return addr.toString();
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
