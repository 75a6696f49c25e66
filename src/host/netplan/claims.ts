import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ForeignClaim, NicIdentity } from '../ownership.js';

/**
 * The netplan half of "one owner per NIC": reads what `netplan generate` produced for the
 * whole candidate /etc/netplan (systemd-networkd `.network` and `.link` files, see
 * systemd.network(5) and systemd.link(5) "[Match] Section Options") and finds every
 * definition other than the NIC's own that would apply to it. The rule and the error are
 * backend-neutral (src/host/ownership.ts).
 */

type Sections = Map<string, Array<[string, string]>>;

/** `[Section]` → `Key=value` pairs of a unit-style file; comments and blank lines dropped. */
function sections(text: string): Sections {
  const out: Sections = new Map();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      if (!out.has(current)) out.set(current, []);
      continue;
    }
    const i = line.indexOf('=');
    if (i > 0) out.get(current)?.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return out;
}

const values = (s: Sections, section: string, key: string): string[] =>
  (s.get(section) ?? []).filter(([k]) => k === key).flatMap(([, v]) => v.split(/\s+/).filter((x) => x !== ''));

/** fnmatch(3) as [Match] uses it for names and drivers: `*`, `?` and `[...]`; a leading `!` negates. */
export function globMatches(pattern: string, text: string): boolean {
  const negate = pattern.startsWith('!');
  const body = negate ? pattern.slice(1) : pattern;
  let re = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = body.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${body.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(text) !== negate;
}

/** netplan's device types (netplan(5)): a definition id is unique across them. */
const DEVICE_TYPES = ['ethernets', 'bonds', 'bridges', 'vlans', 'wifis', 'tunnels', 'vrfs', 'modems', 'dummy-devices', 'virtual-ethernets', 'nm-devices'];

/** The netplan files (as paths under `dir`) that define `id`, in file order. */
function filesDefining(id: string, files: ReadonlyMap<string, Buffer | string>, dir: string): string[] {
  const found: string[] = [];
  for (const [name, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    let doc: unknown;
    try {
      doc = parseYaml(content.toString());
    } catch {
      continue;
    }
    const network = (doc as { network?: Record<string, unknown> } | null)?.network;
    if (!network || typeof network !== 'object') continue;
    if (DEVICE_TYPES.some((t) => { const defs = network[t]; return typeof defs === 'object' && defs !== null && id in defs; })) found.push(join(dir, name));
  }
  return found;
}

const GENERATED = /^10-netplan-(.+)\.(network|link)$/;

/** How one generated file's [Match] applies to the NIC, or undefined when it does not. */
function matchOf(s: Sections, nic: NicIdentity, nameKey: 'Name' | 'OriginalName'): string | undefined {
  const macs = [...values(s, 'Match', 'MACAddress'), ...values(s, 'Match', 'PermanentMACAddress')].map((m) => m.toLowerCase());
  const names = values(s, 'Match', nameKey);
  const drivers = values(s, 'Match', 'Driver');
  if (macs.includes(nic.mac)) return `matches MAC ${nic.mac}`;
  if (macs.length === 0 && names.length === 0 && drivers.length === 0) return undefined;
  // networkd ANDs the conditions present; a name may match before or after the rename.
  const byName = names.length === 0 || [nic.currentName, nic.newName].some((n) => names.some((g) => globMatches(g, n)));
  // Without a device (a veth) the driver is unknown: a driver match may still take the NIC, so it counts.
  const byDriver = drivers.length === 0 || nic.driver === undefined || drivers.some((g) => globMatches(g, nic.driver!));
  if (macs.length > 0 || !byName || !byDriver) return undefined;
  const parts = [names.length ? `matches name ${names.join(' ')}` : '', drivers.length ? `matches driver ${drivers.join(' ')}${nic.driver === undefined ? ' (driver of the NIC unknown)' : ''}` : ''];
  return parts.filter((p) => p !== '').join(' and ');
}

/**
 * Every definition in the generated networkd output, other than `nic.newName`'s own, that
 * claims the NIC: a `.network` whose [Match] selects it (by MAC, by its current or new
 * name, by driver; with its Bond=/Bridge=/VLAN= role named), a `.link` that would rename
 * it, or a `.link` that gives the NIC's new name to another NIC. `files` is the candidate
 * /etc/netplan (to name the source file of each definition), `dir` its path.
 */
export function netplanClaims(networkd: Readonly<Record<string, string>>, files: ReadonlyMap<string, Buffer | string>, dir: string, nic: NicIdentity): ForeignClaim[] {
  const claims = new Map<string, string[]>();
  const add = (id: string, how: string) => claims.set(id, [...(claims.get(id) ?? []), how]);
  for (const [file, text] of Object.entries(networkd)) {
    const m = GENERATED.exec(file);
    if (!m || m[1] === nic.newName) continue;
    const [, id, kind] = m as unknown as [string, string, string];
    const s = sections(text);
    if (kind === 'network') {
      const how = matchOf(s, nic, 'Name');
      if (!how) continue;
      const roles = [
        ...values(s, 'Network', 'Bond').map((b) => `as a member of bond ${b}`),
        ...values(s, 'Network', 'Bridge').map((b) => `as a port of bridge ${b}`),
        ...values(s, 'Network', 'VLAN').map((v) => `as the parent of VLAN ${v}`),
      ];
      add(id!, [how, ...roles].join(' '));
    } else {
      const rename = values(s, 'Link', 'Name')[0];
      const how = matchOf(s, nic, 'OriginalName');
      if (how && rename && rename !== nic.newName) add(id!, `${how} and renames it to ${rename}`);
      else if (!how && rename === nic.newName) add(id!, `gives the name ${rename} to another NIC`);
    }
  }
  return [...claims].map(([id, hows]) => ({ files: filesDefining(id, files, dir), definition: id, how: [...new Set(hows)].join('; ') }));
}
