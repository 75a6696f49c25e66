import type { StatusRowFacts } from '../db/status-rows.js';

/** Where a row stands, as `multinic status` names it. */
export const RowState = {
  /** Work outstanding (attach or detach) that the agent has not failed at this version. */
  Pending: 'pending',
  /** The agent recorded this version as failed (multinic_port_state). */
  Failed: 'failed',
  /** A live row whose node node_table does not know: routed, but never acted on destructively. */
  UnknownNode: 'unknown-node',
  Configured: 'configured',
  /** Deleted and no longer configured. */
  Removed: 'removed',
} as const;
export type RowState = (typeof RowState)[keyof typeof RowState];

/** One row of `multinic status` (and of `status --cr`), with the reason a person can act on. */
export interface RowStatus {
  portId: string;
  node: string | null;
  state: RowState;
  /** The work the row asks for: attach (live, not configured), detach (deleted, configured), or none. */
  work: 'attach' | 'detach' | null;
  /** The row's version (modified_at, else created_at) as an ISO time: how long it has waited. */
  since: string;
  reason: string;
  macAddress: string | null;
  address: string | null;
  /** `namespace/name` of the OpenstackConfig CR that asked for the port, or null. */
  cr: string | null;
  generation: number;
}

/** `3m12s`, `2h05m`, `4d03h`: an age to read at a glance. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/**
 * Names a row's state and why, from its facts (docs/DESIGN.md "Meaning of a row"): an
 * unknown or ambiguous node first (node identity: src/model/node-identity.ts) (nothing will happen until node_table knows it), then a failure the
 * agent recorded for exactly this version, then outstanding work, then done.
 */
export function explainRow(f: StatusRowFacts, now: Date): RowStatus {
  const work = !f.deleted && !f.netplanSuccess ? 'attach' : f.deleted && f.netplanSuccess ? 'detach' : null;
  const age = formatAge(now.getTime() - f.generation);
  const o = f.outcome;
  const base = {
    portId: f.portId, node: f.node, work, since: new Date(f.generation).toISOString(), macAddress: f.macAddress, address: f.address,
    cr: f.crNamespace && f.crName ? `${f.crNamespace}/${f.crName}` : null, generation: f.generation,
  } as const;
  if (!f.deleted && !f.nodeKnown) {
    const reason =
      f.node === null
        ? 'the row names no node (attached_node_name is NULL)'
        : f.nodeAmbiguous
          ? `attached_node_name ${JSON.stringify(f.node)} fits several node_table names (${f.nodeAmbiguous.join(', ')}): no agent claims the row; fix the name`
          : `node_table has no live node named ${JSON.stringify(f.node)} under any spelling: its agent (if any) does not claim the row; fix the name or add the node`;
    return { ...base, state: RowState.UnknownNode, reason };
  }
  if (work && o?.outcome === 'failed' && o.generation === f.generation) {
    return { ...base, state: RowState.Failed, reason: `the agent on ${o.node || f.node} failed this version: ${o.lastError ?? 'no reason recorded'}; fix the cause and edit the row (a new version is retried)` };
  }
  if (work === 'attach') {
    const older = o?.outcome === 'failed' && o.generation < f.generation ? ` (an older version failed: ${o.lastError ?? 'no reason recorded'})` : '';
    return { ...base, state: RowState.Pending, reason: `waiting ${age} for the agent on ${f.node} to configure it${older}` };
  }
  if (work === 'detach') return { ...base, state: RowState.Pending, reason: `deleted ${age} ago, still configured: waiting for the agent on ${f.node} to remove it` };
  if (f.deleted) return { ...base, state: RowState.Removed, reason: 'deleted and removed' };
  return { ...base, state: RowState.Configured, reason: o?.outcome === 'configured' && o.generation === f.generation ? 'configured' : 'configured (netplan_success=1)' };
}
