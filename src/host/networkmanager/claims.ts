import { join } from 'node:path';
import type { Log } from '../../log/logger.js';
import { CommandFailedError, type CommandRunner } from '../command.js';
import { parseOwnedHeader } from '../owned-meta.js';
import { listDir, readNoFollow } from '../owned-read.js';
import { keyfileValue, parseKeyfile, type Keyfile } from './keyfile.js';
import { keyfileNameFor } from './render.js';

/** The NIC a change is about (same shape as the backend-neutral ownership check's NicIdentity). */
export interface NmNic {
  /** Lower-case MAC. */
  mac: string;
  /** Kernel name now (e.g. `ens4`). */
  currentName: string;
  /** The multinicN it gets. */
  newName: string;
}

/** Another NetworkManager profile claiming the NIC (same shape as the ownership check's ForeignClaim). */
export interface NmClaim {
  /** Where the profile comes from: a keyfile, an ifcfg file, or NM's own path for an in-memory profile. */
  files: readonly string[];
  /** The profile's `connection.id` (ifcfg: NAME, else DEVICE, else the file name). */
  definition: string;
  /** How it claims the NIC. */
  how: string;
}

/** Where the NetworkManager claims are read from. */
export interface NmClaimSources {
  /** NM_CONNECTIONS_DIR: keyfiles (`*.nmconnection`, MultiNIC's own skipped). */
  connectionsDir: string;
  /** NM_IFCFG_DIR: RHEL's `ifcfg-*` files (the ifcfg-rh plugin, nm-settings-ifcfg-rh(5)). */
  ifcfgDir: string;
  /** When set, profiles NetworkManager holds in memory (`nmcli connection show`) are read too. */
  nmcli?: { command: readonly string[]; run: CommandRunner; timeoutMs: number; log: Log };
}

/** nmcli's exit status when NetworkManager is not running (nmcli(1), "Exit status"). */
export const NMCLI_NOT_RUNNING = 8;

/**
 * True when nmcli failed because no NetworkManager answers: exit 8, or no system bus at all
 * (`Could not create NMClient object`, exit 1, seen on a host without D-Bus).
 */
export function isNmNotRunning(err: unknown): boolean {
  return err instanceof CommandFailedError && (err.exitCode === NMCLI_NOT_RUNNING || /Could not create NMClient object/.test(err.stderrTail));
}

const sameMac = (a: string | undefined, mac: string) => a !== undefined && a.replace(/-/g, ':').toLowerCase() === mac;

/**
 * What one profile's settings claim of `nic`: its `ethernet.mac-address`, its
 * `connection.interface-name` (current or future name), a `match.interface-name` that is
 * the name or a wildcard (nm-settings-nmcli(5) "match": shell patterns; a pattern is taken
 * as a claim, refusing being the safe side), or — an ethernet profile with none of these
 * that autoconnects — every ethernet NIC.
 */
function claimsOf(p: { type?: string; mac?: string; ifname?: string; match?: string; autoconnect?: string }, nic: NmNic): string[] {
  const how: string[] = [];
  const names = [nic.currentName, nic.newName];
  if (sameMac(p.mac, nic.mac)) how.push(`matches MAC ${nic.mac}`);
  if (p.ifname && names.includes(p.ifname)) how.push(`names interface ${p.ifname}`);
  for (const pattern of (p.match ?? '').split(/[,;]/).map((s) => s.trim()).filter((s) => s !== '' && !s.startsWith('!'))) {
    if (names.includes(pattern)) how.push(`matches interface name ${pattern}`);
    else if (/[*?[]/.test(pattern)) how.push(`may match it by the pattern ${pattern}`);
  }
  const ethernet = p.type === 'ethernet' || p.type === '802-3-ethernet';
  if (how.length === 0 && ethernet && !p.mac && !p.ifname && !p.match && p.autoconnect !== 'false' && p.autoconnect !== 'no') {
    how.push('matches every ethernet NIC (no MAC, no interface name)');
  }
  return how;
}

function fromKeyfile(kf: Keyfile) {
  return {
    id: keyfileValue(kf, 'connection', 'id'),
    type: keyfileValue(kf, 'connection', 'type') ?? (kf.has('ethernet') ? 'ethernet' : undefined),
    mac: keyfileValue(kf, 'ethernet', 'mac-address'),
    ifname: keyfileValue(kf, 'connection', 'interface-name'),
    match: keyfileValue(kf, 'match', 'interface-name'),
    autoconnect: keyfileValue(kf, 'connection', 'autoconnect'),
  };
}

/** `KEY=value` of an ifcfg file (shell variable syntax, one per line; quotes removed, no expansion). */
export function parseIfcfg(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if (/^"(.*)"$/.test(v) || /^'(.*)'$/.test(v)) v = v.slice(1, -1);
    out.set(m[1]!, v);
  }
  return out;
}

async function fileClaims(dir: string, pick: (f: string) => boolean, read: (text: string, file: string) => { id?: string; how: string[] } | undefined): Promise<NmClaim[]> {
  const claims: NmClaim[] = [];
  for (const file of (await listDir(dir)).filter(pick).sort()) {
    const content = await readNoFollow(join(dir, file));
    if (!content) continue;
    const r = read(content.toString('utf8'), file);
    if (r && r.how.length > 0) claims.push({ files: [join(dir, file)], definition: r.id ?? file, how: r.how.join(', ') });
  }
  return claims;
}

/**
 * `nmcli -t -f a,b connection show UUID` as field → value. Keyed by name, because 1.42
 * leaves out the fields of a setting the profile does not have (`match.*`), so `-g`'s
 * one-value-per-line output cannot be read by position (seen in the lab).
 */
function terseFields(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).replace(/\\(.)/g, '$1'));
  }
  return out;
}

/**
 * Every other NetworkManager profile that claims `nic`, naming its file: keyfiles in
 * `connectionsDir` (MultiNIC's own skipped), `ifcfg-*` files in `ifcfgDir` (HWADDR,
 * DEVICE; `ifcfg-lo` skipped), and — with `nmcli` — the profiles NM holds that came from
 * neither directory (in-memory ones under /run, other plugins), read with
 * `nmcli -g … connection show <uuid>`. The rule that refuses lives with the caller.
 */
export async function readNmClaims(src: NmClaimSources, nic: NmNic): Promise<NmClaim[]> {
  const seen = new Set<string>();
  const keyfiles = await fileClaims(src.connectionsDir, (f) => f.endsWith('.nmconnection') && (seen.add(f), true), (text, file) => {
    if (parseOwnedHeader(text, keyfileNameFor, file)) return undefined;
    const p = fromKeyfile(parseKeyfile(text));
    return { id: p.id, how: claimsOf(p, nic) };
  });
  const ifcfgs = await fileClaims(src.ifcfgDir, (f) => f.startsWith('ifcfg-') && f !== 'ifcfg-lo' && (seen.add(f), true), (text) => {
    const v = parseIfcfg(text);
    const p = { type: (v.get('TYPE') ?? 'Ethernet').toLowerCase(), mac: v.get('HWADDR'), ifname: v.get('DEVICE'), autoconnect: v.get('ONBOOT') };
    // An ifcfg file always names a device or a MAC; without either NM does not match it to any NIC.
    return { id: v.get('NAME') ?? v.get('DEVICE'), how: p.mac || p.ifname ? claimsOf(p, nic) : [] };
  });
  const claims = [...keyfiles, ...ifcfgs];
  if (!src.nmcli) return claims;
  const { command, run, timeoutMs, log } = src.nmcli;
  let list;
  try {
    list = await run([...command, '-t', '-f', 'UUID,TYPE,FILENAME', 'connection', 'show'], { timeoutMs, log });
  } catch (err) {
    // nmcli(1) "Exit status" 8: NetworkManager is not running, so it holds no profile in memory either.
    if (isNmNotRunning(err)) return claims;
    throw err;
  }
  for (const line of list.stdout.split('\n').filter((l) => l !== '')) {
    const [uuid, type, ...rest] = line.split(':');
    const filename = rest.join(':').replace(/\\(.)/g, '$1');
    if (!uuid || type !== '802-3-ethernet' || seen.has(filename.split('/').pop() ?? '')) continue;
    const fields = ['connection.id', '802-3-ethernet.mac-address', 'connection.interface-name', 'match.interface-name', 'connection.autoconnect'];
    const { stdout } = await run([...command, '-t', '-f', fields.join(','), 'connection', 'show', uuid], { timeoutMs, log });
    const f = terseFields(stdout);
    const get = (k: string) => f.get(k) || undefined;
    const how = claimsOf({ type: 'ethernet', mac: get(fields[1]!), ifname: get(fields[2]!), match: get(fields[3]!), autoconnect: get(fields[4]!) }, nic);
    if (how.length > 0) claims.push({ files: [filename || '(in memory)'], definition: get(fields[0]!) ?? uuid, how: how.join(', ') });
  }
  return claims;
}
