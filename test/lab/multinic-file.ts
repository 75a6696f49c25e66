/**
 * Hand-written netplan files in the shape MultiNIC's renderer writes (src/netplan/render.ts:
 * marker line, match by MAC, set-name multinicN, optional, accept-ra false, addresses, mtu),
 * so lab tests and measurements exercise the same netplan features without importing src/
 * (which a layout refactor is moving).
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Document } from 'yaml';

/** One secondary NIC as MultiNIC would configure it. */
export interface MultinicNic {
  /** `multinicN`. */
  name: string;
  /** MAC, lower case with colons. */
  mac: string;
  /** `address/prefix` entries (IPv4 and/or IPv6). */
  addresses: string[];
  /** Bytes; omitted when undefined. */
  mtu?: number;
}

/** `90-multinic-<name>.yaml`, as MultiNIC names its files. */
export const multinicFileName = (name: string) => `90-multinic-${name}.yaml`;

/** The YAML text (strings double-quoted as MultiNIC writes them, so a MAC is never a base-60 number). */
export function multinicYaml(nic: MultinicNic): string {
  const eth: Record<string, unknown> = {
    match: { macaddress: nic.mac },
    'set-name': nic.name,
    optional: true,
    'accept-ra': false,
    addresses: nic.addresses,
  };
  if (nic.mtu !== undefined) eth.mtu = nic.mtu;
  const doc = new Document({ network: { version: 2, ethernets: { [nic.name]: eth } } }, { version: '1.1' });
  return `# Managed by MultiNIC (multinic.io). Do not edit: changes are overwritten.\n${doc.toString({ defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 })}`;
}

/** Writes the file (0600) into a netplan folder; returns its path. */
export async function writeMultinicFile(netplanDir: string, nic: MultinicNic): Promise<string> {
  const path = join(netplanDir, multinicFileName(nic.name));
  await writeFile(path, multinicYaml(nic), { mode: 0o600 });
  return path;
}

/** Removes the file of `name` from a netplan folder. */
export async function removeMultinicFile(netplanDir: string, name: string): Promise<void> {
  await rm(join(netplanDir, multinicFileName(name)));
}

/** `multinic-<name>.nmconnection`, the keyfile name issue 15 gives MultiNIC's NetworkManager backend. */
export const multinicKeyfileName = (name: string) => `multinic-${name}.nmconnection`;

/**
 * A NetworkManager keyfile for one NIC, matched by MAC only (NETWORKMANAGER.md §4: a profile
 * with `interface-name` would not match before a rename), never the default route, IPv4
 * and/or IPv6 addresses as given, MTU when set.
 */
export function multinicKeyfile(nic: MultinicNic): string {
  const v4 = nic.addresses.filter((a) => !a.includes(':'));
  const v6 = nic.addresses.filter((a) => a.includes(':'));
  const section = (family: string[]) => family.length
    ? `method=manual\n${family.map((a, i) => `address${i + 1}=${a}`).join('\n')}\nnever-default=true\n`
    : 'method=disabled\n';
  return `[connection]
id=multinic-${nic.name}
uuid=${crypto.randomUUID()}
type=ethernet
autoconnect=true

[ethernet]
mac-address=${nic.mac.toUpperCase()}
${nic.mtu !== undefined ? `mtu=${nic.mtu}\n` : ''}
[ipv4]
${section(v4)}
[ipv6]
${section(v6)}`;
}

/** Writes the keyfile (0600: NetworkManager refuses other modes) into a system-connections folder; returns its path. */
export async function writeMultinicKeyfile(connectionsDir: string, nic: MultinicNic): Promise<string> {
  const path = join(connectionsDir, multinicKeyfileName(nic.name));
  await writeFile(path, multinicKeyfile(nic), { mode: 0o600 });
  return path;
}
