import { reasonOf } from '../errors/classify.js';
import { contentDigest } from '../events/build.js';
import { isInvalid } from '../events/network.js';
import type { InterfaceEventData } from '../events/types.js';
import { sameContent } from '../model/content.js';
import { patchNodeState } from './patch-node.js';
import { rowOwner } from '../model/node-identity.js';
import type { AgentPorts, ConfiguredInterface, NodeInterfaceState, PortRow } from '../model/ports.js';

/** CloudEvents `source` recorded as the origin of what resync configures. */
export const RESYNC_SOURCE = '/multinic/resync';
/** The publisher's `source`: its events always came from a row. */
export const PUBLISHER_SOURCE = '/multinic/publisher';
/**
 * Origins that prove a row existed once. A file of such an origin whose port has no row
 * any more is removed by resync; a file configured by external tooling (any other
 * origin) with no row is its tooling's business and is kept.
 */
export const ROW_ORIGINS: readonly string[] = [PUBLISHER_SOURCE, RESYNC_SOURCE];

/** What one resync did; logged by the caller. */
export interface ResyncSummary {
  /** Set when resync touched nothing on purpose (node unknown to node_table). */
  skipped: string | null;
  configured: string[];
  removed: string[];
  /** Rows whose netplan_success was corrected without touching the host. */
  marked: string[];
  /** External-origin files with no row, left alone. */
  kept: string[];
  failed: Array<{ portId: string; reason: string }>;
  /** Rows that may be this node's but name no known node (or several): reported, nothing of theirs removed. */
  unaccounted: string[];
  /** Ports whose NIC another configuration now claims too (reported, nothing changed). */
  claimed: Array<{ portId: string; reason: string }>;
  state: NodeInterfaceState | null;
}

/**
 * Reconciles this node with the database: configures live rows missing or different on
 * the host (origin RESYNC_SOURCE), corrects netplan_success where the host already
 * agrees, removes owned files of ports deleted or attached to another node, and files of
 * ports with no row only when a row existed once (ROW_ORIGINS). Then patches the Node
 * from the whole state, healing a lost patch.
 *
 * Safety: it acts only on a successful query (a failure throws before anything is
 * touched) for a node that node_table knows; an unknown node (a wrong name) gets a Node
 * patch and nothing else, so an empty answer can never wipe a node. A failure on one port
 * is recorded for that port and the others still proceed. Last, the host's audit names
 * NICs another configuration now claims too: reported on the Node, nothing changed. The
 * caller serialises it with event handling.
 */
export async function resyncNode(ports: AgentPorts): Promise<ResyncSummary> {
  const summary: ResyncSummary = { skipped: null, configured: [], removed: [], marked: [], kept: [], failed: [], unaccounted: [], claimed: [], state: null };
  const nodePorts = await ports.store.listNodePorts(ports.node.dbName);
  // Resync compares with the host as it is on disk, not as the host adapter last saw it.
  await ports.host.refresh?.();
  const configured = await ports.host.listConfigured();
  if (!nodePorts.known) {
    summary.skipped = `node_table has no node named ${JSON.stringify(ports.node.dbName)}: nothing configured or removed`;
  } else {
    const here = new Map(configured.map((c) => [c.portId, c]));
    for (const row of nodePorts.rows) await guarded(summary, row.portId, ports, () => reconcileRow(row, here.get(row.portId), ports, summary));
    const listed = new Set(nodePorts.rows.map((r) => r.portId));
    for (const c of configured) {
      if (!listed.has(c.portId)) await guarded(summary, c.portId, ports, () => reconcileOrphan(c, nodePorts.nodeTable ?? [], ports, summary));
    }
  }
  // A claim that appeared after MultiNIC configured a NIC (e.g. cloud-init's hotplug file) is
  // reported, never fought: the Node goes ready=false with the reason and nothing changes.
  // An audit that cannot run (a foreign file netplan rejects) must not stop the Node patch.
  const claims = await (ports.host.audit?.() ?? Promise.resolve([])).catch((err: unknown) => {
    ports.log.warn({ err }, 'resync could not check for other owners of the NICs');
    return [];
  });
  summary.claimed = claims.map(({ portId, reason }) => ({ portId, reason: `port ${portId}: ${reason}` }));
  summary.state = await patchNodeState(ports, {
    force: true,
    extraErrors: summary.claimed.map((c) => c.reason),
    onUnaccounted: (reasons) => (summary.unaccounted = reasons),
  });
  return summary;
}

async function guarded(summary: ResyncSummary, portId: string, ports: AgentPorts, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    const reason = reasonOf(err);
    summary.failed.push({ portId, reason });
    ports.log.warn({ portId, err }, 'resync could not reconcile a port');
  }
}

async function reconcileRow(row: PortRow, here: ConfiguredInterface | undefined, ports: AgentPorts, summary: ResyncSummary): Promise<void> {
  if (row.deleted) {
    if (here) {
      await ports.host.remove(row.portId);
      await markRemoved(row, here, ports);
      summary.removed.push(row.portId);
    } else if (row.netplanSuccess) {
      await markRemoved(row, undefined, ports);
      summary.marked.push(row.portId);
    }
    return;
  }
  // An invalid live row is left as it is (its file, if any, too); the Node shows why.
  if (isInvalid(row.data)) return;
  // Written back against the row's own spelling of this node (the data carries the event form).
  const data = { ...row.data, nodeName: row.nodeName ?? row.data.nodeName };
  if (here && sameContent(here, data)) {
    const failureShown = row.lastFailure && row.lastFailure.generation >= row.generation;
    if (!row.netplanSuccess || failureShown) {
      await ports.store.markConfigured(data);
      await recordConfigured(data, here.name, ports);
      summary.marked.push(row.portId);
    }
    return;
  }
  try {
    const change = await ports.host.configure(data, RESYNC_SOURCE);
    await ports.store.markConfigured(data);
    await recordConfigured(data, change.name, ports);
    summary.configured.push(row.portId);
  } catch (err) {
    // The row shows the failure (multinic_port_state) and the Node's last-error names it.
    await ports.store
      .recordOutcome({ ...outcomeBase(data, ports), outcome: 'failed', interfaceName: null, lastError: reasonOf(err) })
      .catch(() => undefined);
    throw err;
  }
}

/**
 * A file for a port that is not among this node's rows: moved, deleted for good, external,
 * or renamed to a node nobody knows. Removed only on positive evidence: the row is
 * deleted (or gone, for a file a row once put here), or it names another node that
 * node_table knows. A row naming no known node (or several) keeps its file; the Node
 * shows why (unaccountedRows).
 */
async function reconcileOrphan(c: ConfiguredInterface, nodeTable: readonly string[], ports: AgentPorts, summary: ResyncSummary): Promise<void> {
  const row = await ports.store.getPort(c.portId);
  if (!row && !ROW_ORIGINS.includes(c.origin)) {
    summary.kept.push(c.portId);
    return;
  }
  if (row && !row.deleted) {
    const owner = rowOwner(row.nodeName, ports.node.dbName, nodeTable);
    // 'this': appeared since the list, its event or the next resync handles it;
    // 'unknown' / 'ambiguous': no positive evidence, nothing is removed.
    if (owner.owner !== 'other') return;
  }
  await ports.host.remove(c.portId);
  summary.removed.push(c.portId);
}

async function markRemoved(row: PortRow, here: ConfiguredInterface | undefined, ports: AgentPorts): Promise<void> {
  // markRemoved is conditional on port, node, generation and deletion only; an invalid
  // deleted row still has those, so build the data from whatever describes the port.
  const base: InterfaceEventData = isInvalid(row.data)
    ? {
        nodeName: ports.node.dbName, portId: row.portId, macAddress: here?.macAddress ?? '', subnetId: here?.subnetId ?? '',
        subnetName: '', networkId: here?.networkId ?? '', cidr: here?.cidr ?? '', address: here?.address ?? null, mtu: here?.mtu ?? null,
        crNamespace: null, crName: null, generation: row.generation,
      }
    : row.data;
  // The row's own spelling of this node: markRemoved is conditional on it.
  await ports.store.markRemoved({ ...base, nodeName: row.nodeName ?? ports.node.dbName, generation: row.generation });
  await ports.store.recordOutcome({ ...outcomeBase(base, ports), generation: row.generation, outcome: 'removed', interfaceName: here?.name ?? null, lastError: null });
}

async function recordConfigured(data: InterfaceEventData, interfaceName: string, ports: AgentPorts): Promise<void> {
  await ports.store.recordOutcome({ ...outcomeBase(data, ports), outcome: 'configured', interfaceName, lastError: null });
}

function outcomeBase(data: InterfaceEventData, ports: AgentPorts) {
  return {
    portId: data.portId,
    nodeName: ports.node.dbName,
    generation: data.generation,
    contentDigest: contentDigest({ ...data, nodeName: ports.node.dbName }),
    eventId: null,
  };
}
