import type { ConfiguredInterface } from '../model/ports.js';
import { INTERFACE_NAME } from '../model/interface-name.js';

/**
 * First line of every file MultiNIC owns, whatever the backend (netplan YAML and
 * NetworkManager keyfiles both take `#` comments). A file is only ever treated as ours
 * when this is its first line AND its name and meta agree.
 */
export const OWNED_MARKER = '# Managed by MultiNIC (multinic.io). Do not edit: changes are overwritten.';

/** Prefix of the second line, which carries the whole ConfiguredInterface as one-line JSON. */
export const META_PREFIX = '# multinic-meta: ';

/** Keys of the meta JSON, in the order they are written: fixed so the same input gives the same bytes. */
export const META_KEYS = [
  'name', 'macAddress', 'portId', 'subnetId', 'networkId', 'cidr', 'address', 'mtu', 'generation', 'origin',
] as const satisfies ReadonlyArray<keyof ConfiguredInterface>;

/**
 * JSON of the meta, restricted to ASCII. JSON.stringify already escapes CR and LF, but
 * libyaml (netplan's parser, YAML 1.1) also ends a comment at NEL, U+2028 and U+2029,
 * which JSON leaves raw; escaping everything outside printable ASCII keeps the comment
 * one line for every parser (GLib's keyfile parser included) and keeps the file plain ASCII.
 */
export function metaJson(iface: ConfiguredInterface): string {
  const ordered: Record<string, unknown> = {};
  for (const key of META_KEYS) ordered[key] = iface[key];
  return JSON.stringify(ordered).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The two header lines (marker, meta) every owned file starts with. */
export function ownedHeader(iface: ConfiguredInterface): string {
  return `${OWNED_MARKER}\n${META_PREFIX}${metaJson(iface)}\n`;
}

const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';

function asConfiguredInterface(v: unknown): ConfiguredInterface | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const strings = ['name', 'macAddress', 'portId', 'subnetId', 'networkId', 'cidr', 'origin'] as const;
  if (!strings.every((k) => typeof o[k] === 'string')) return undefined;
  if (!isNullableString(o.address)) return undefined;
  if (!(o.mtu === null || Number.isInteger(o.mtu))) return undefined;
  if (!Number.isSafeInteger(o.generation)) return undefined;
  if (!INTERFACE_NAME.test(o.name as string)) return undefined;
  return {
    name: o.name as string,
    macAddress: o.macAddress as string,
    portId: o.portId as string,
    subnetId: o.subnetId as string,
    networkId: o.networkId as string,
    cidr: o.cidr as string,
    address: o.address,
    mtu: o.mtu as number | null,
    generation: o.generation as number,
    origin: o.origin as string,
  };
}

/**
 * Reads back the ConfiguredInterface of a file MultiNIC wrote. A file is ours only when
 * the marker is its exact first line, the second line is a meta line whose JSON has every
 * field with the right type, something follows it, and (when `file` is given) the meta's
 * name is the one `fileNameFor` gives that file. Anything else returns undefined: not
 * ours, never touched.
 */
export function parseOwnedHeader(text: string, fileNameFor: (name: string) => string, file?: string): ConfiguredInterface | undefined {
  const lines = text.split('\n', 3);
  if (lines.length < 3 || lines[0] !== OWNED_MARKER) return undefined;
  const metaLine = lines[1]!;
  if (!metaLine.startsWith(META_PREFIX)) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(metaLine.slice(META_PREFIX.length));
  } catch {
    return undefined;
  }
  const iface = asConfiguredInterface(meta);
  if (!iface) return undefined;
  if (file !== undefined && fileNameFor(iface.name) !== file) return undefined;
  return iface;
}
