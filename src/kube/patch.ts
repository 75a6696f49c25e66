import type { ConfiguredInterface, NodeInterfaceState } from '../model/ports.js';

/** Node labels MultiNIC owns (part of the public contract, see DESIGN "Kubernetes Node"). */
export const Labels = {
  InterfaceCount: 'multinic.io/interface-count',
  Ready: 'multinic.io/ready',
  /** The node's host backend: `netplan` or `networkmanager` (issue 15). */
  Backend: 'multinic.io/backend',
} as const;

/** Node annotations MultiNIC owns (part of the public contract). */
export const Annotations = {
  Interfaces: 'multinic.io/interfaces',
  LastError: 'multinic.io/last-error',
} as const;

/**
 * Longest `multinic.io/last-error` value, in characters. Long enough for a netplan
 * `file:line:col: reason` or an HTTP error; short enough that `kubectl describe node`
 * stays readable and a flapping error cannot grow the Node object.
 */
export const MAX_LAST_ERROR_LENGTH = 512;

/** Stated when the state is not ready but carries no reason, so the annotation never lies by absence. */
const UNKNOWN_REASON = 'not ready (no reason recorded)';

/** The JSON merge patch body for a Node; `null` deletes that annotation. */
export interface NodePatch {
  metadata: {
    labels: Record<string, string>;
    annotations: Record<string, string | null>;
  };
}

/** One entry of the `multinic.io/interfaces` annotation: exactly the DESIGN fields. */
export type InterfaceAnnotationEntry = Pick<ConfiguredInterface, 'name' | 'macAddress' | 'portId' | 'subnetId' | 'networkId' | 'cidr' | 'address' | 'mtu'>;

/**
 * Computes the whole MultiNIC part of a Node from the node's whole state — never a
 * delta — so sending it again, or after a lost patch, converges to the same object.
 * The same state always gives the same bytes: interfaces are sorted by name in natural
 * order (`multinic2` before `multinic10`, then by port id) and each entry has a fixed
 * key order. `multinic.io/last-error` is set (one line, at most
 * {@link MAX_LAST_ERROR_LENGTH} characters) while the node is not ready and `null`
 * (deleted by the merge patch) once it is.
 */
export function computeNodePatch(state: NodeInterfaceState): NodePatch {
  const entries = [...state.interfaces].sort(compareInterfaces).map(annotationEntry);
  return {
    metadata: {
      labels: {
        [Labels.InterfaceCount]: String(entries.length),
        [Labels.Ready]: state.ready ? 'true' : 'false',
        ...(state.backend ? { [Labels.Backend]: state.backend } : {}),
      },
      annotations: {
        [Annotations.Interfaces]: JSON.stringify(entries),
        [Annotations.LastError]: state.ready ? null : oneLine(state.lastError ?? UNKNOWN_REASON),
      },
    },
  };
}

function annotationEntry(i: ConfiguredInterface): InterfaceAnnotationEntry {
  // Built field by field so internal fields (generation, origin) never leak into the contract.
  return {
    name: i.name,
    macAddress: i.macAddress,
    portId: i.portId,
    subnetId: i.subnetId,
    networkId: i.networkId,
    cidr: i.cidr,
    address: i.address,
    mtu: i.mtu,
  };
}

function compareInterfaces(a: ConfiguredInterface, b: ConfiguredInterface): number {
  return naturalCompare(a.name, b.name) || compareStrings(a.portId, b.portId);
}

/**
 * Compares strings with runs of digits taken as numbers (`multinic2` < `multinic10`).
 * Written out rather than `localeCompare(..., { numeric: true })` so the order, and
 * therefore the annotation's bytes, do not depend on the ICU data Node was built with.
 */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    const bothNumeric = /^\d/.test(x) && /^\d/.test(y);
    const c = bothNumeric ? compareDigits(x, y) : compareStrings(x, y);
    if (c !== 0) return c;
  }
  return pa.length - pb.length || compareStrings(a, b);
}

/** Numeric order of digit runs of any length, without converting to a (lossy) number. */
function compareDigits(x: string, y: string): number {
  const sx = x.replace(/^0+(?=\d)/, '');
  const sy = y.replace(/^0+(?=\d)/, '');
  return sx.length - sy.length || compareStrings(sx, sy);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Collapses all whitespace and control characters to single spaces and bounds the length. */
export function oneLine(text: string, max = MAX_LAST_ERROR_LENGTH): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim() || UNKNOWN_REASON;
  if (flat.length <= max) return flat;
  // Never cut a surrogate pair in half: a lone surrogate is not valid UTF-8 on the wire.
  const cut = flat.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '');
  return `${cut}…`;
}
