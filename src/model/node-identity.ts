import { firstLabel } from './dns.js';

/**
 * The one node-identity rule (docs/DESIGN.md, "Node identity"): when two spellings of a
 * node name name the same host. The publisher's routing, the agent's name resolution,
 * its handler and resync, the Node patch and `multinic status` all decide through
 * `sameNode` / `resolveNode` below, never with `===` on raw names.
 *
 * What the rule folds, and why (each is something a tool between Nova and the kubelet
 * is known to do to a host name):
 * - Case: host names compare case-insensitively (RFC 4343 §3; RFC 1123 §2.1), and the
 *   kubelet lower-cases its node name, also one given by `--hostname-override`
 *   (k8s.io/component-helpers/node/util `GetHostname`: `strings.ToLower(strings.TrimSpace(...))`).
 * - One trailing dot: `worker-1.novalocal.` is the absolute form of the same name (RFC 1034 §3.1).
 * - Short name vs FQDN: equal, or one is the other's first DNS label. Nova's metadata
 *   `hostname` is `<instance hostname>.<dhcp_domain>` (`novalocal` by default), and
 *   cloud-init sets either the short name or the FQDN (`prefer_fqdn_over_hostname`,
 *   `fqdn` in user-data), so `worker-1` and `worker-1.novalocal` are one host.
 * - Nova's display-name sanitising (nova/utils.py `sanitize_hostname`): an instance's
 *   hostname is its display name with spaces and underscores turned into `-`, characters
 *   other than word characters, `.` and `-` dropped, lower-cased, leading/trailing `.-`
 *   stripped, truncated to 63 characters. A name that is not already an RFC 1123 host
 *   name (e.g. `Worker_1`, a display name the OpenStack side stored) is compared in
 *   that sanitised form, so it matches the `worker-1` the guest (and the kubelet) got.
 *
 * What it does NOT fold, on purpose: a numeric suffix (Nova names multi-create
 * instances `<name>-<N>`, so `worker` and `worker-1` are different hosts, as are
 * `worker-1` and `worker-10`); two FQDNs with different domains (`worker-1.a` vs
 * `worker-1.b`); newer Nova releases that also turn `.` into `-` in display names
 * (`worker.1` -> `worker-1`), which would make an FQDN look like a display name.
 * Those need NODE_DB_NAME.
 */

/** RFC 1123 host name (lower case, after the dot and case folding): dot-separated labels of letters, digits, `-`. */
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const NOVA_MAX = 63;

/**
 * The canonical key of a node name under the rule: trimmed, one trailing dot dropped,
 * lower-cased, and for a name that is not an RFC 1123 host name, Nova's sanitised form.
 * Empty for a name with nothing left (never matches anything).
 */
export function hostKey(name: string): string {
  let s = name.trim();
  if (s.endsWith('.')) s = s.slice(0, -1);
  s = s.toLowerCase();
  if (HOST_NAME.test(s)) return s;
  return novaHostname(s);
}

/** nova/utils.py `sanitize_hostname`, on an already lower-cased name (see the file's comment). */
function novaHostname(name: string): string {
  return name
    .replace(/[^\u0000-\u00ff]/g, '')
    .slice(0, NOVA_MAX)
    .replace(/[ _]/g, '-')
    .replace(/[^\w.-]+/g, '')
    .toLowerCase()
    .replace(/^[.-]+|[.-]+$/g, '');
}

/** True when two spellings name the same host under the rule (symmetric; an empty key matches nothing). */
export function sameNode(a: string, b: string): boolean {
  const x = hostKey(a);
  const y = hostKey(b);
  if (x === '' || y === '') return false;
  return x === y || firstLabel(x) === y || firstLabel(y) === x;
}

/** Which node_table name a spelling designates. */
export type NodeResolution =
  | { kind: 'known'; name: string; how: 'exact' | 'spelling' }
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'unknown' };

/**
 * Resolves a spelling against node_table's names: the name itself when node_table has
 * it verbatim; else the one name with the same key (case, trailing dot, Nova form); else
 * the one name that is the same host under the rule. Several candidates are ambiguous and
 * never guessed between; none is unknown.
 */
export function resolveNode(name: string, known: readonly string[]): NodeResolution {
  if (known.includes(name)) return { kind: 'known', name, how: 'exact' };
  const matches = [...new Set(known.filter((k) => sameNode(k, name)))];
  const key = hostKey(name);
  const sameKey = matches.filter((k) => hostKey(k) === key);
  if (sameKey.length === 1) return { kind: 'known', name: sameKey[0]!, how: 'spelling' };
  if (matches.length === 1 && sameKey.length === 0) return { kind: 'known', name: matches[0]!, how: 'spelling' };
  if (matches.length === 0) return { kind: 'unknown' };
  return { kind: 'ambiguous', candidates: matches.sort() };
}

/** Whose a row is, from this node's point of view. */
export type RowOwner =
  | { owner: 'this' }
  /** node_table knows the row's node and it is another one: positive evidence that the port left this node. */
  | { owner: 'other'; node: string }
  /** The row names no node node_table knows (and not this one): report, never act on it destructively. */
  | { owner: 'unknown'; reason: string }
  /** The row's name fits several node_table names: report, never guess. */
  | { owner: 'ambiguous'; reason: string };

/**
 * Classifies a row's attached_node_name for the node `thisNode` (its node_table name, or
 * NODE_DB_NAME) given node_table's live names. Only `other` allows removing anything.
 */
export function rowOwner(rowNode: string | null, thisNode: string, known: readonly string[]): RowOwner {
  if (rowNode === null || rowNode.trim() === '') return { owner: 'unknown', reason: 'the row names no node (attached_node_name is empty)' };
  if (rowNode === thisNode) return { owner: 'this' };
  const r = resolveNode(rowNode, known);
  if (r.kind === 'known') return r.name === thisNode ? { owner: 'this' } : { owner: 'other', node: r.name };
  if (r.kind === 'ambiguous') {
    return { owner: 'ambiguous', reason: `attached_node_name ${JSON.stringify(rowNode)} matches several node_table names (${r.candidates.join(', ')})` };
  }
  // node_table may not know this node either (the agent then removes nothing anyway).
  if (sameNode(rowNode, thisNode)) return { owner: 'this' };
  return { owner: 'unknown', reason: `attached_node_name ${JSON.stringify(rowNode)} is not in node_table under any spelling` };
}
