import type { InterfaceEvent, InterfaceEventData } from '../events/types.js';
import type { Log } from '../log/logger.js';

/**
 * The shared vocabulary (a port row, a configured interface, a node's state, an outcome)
 * and the narrow interfaces the agent's handler works through. They sit at the ground
 * floor so adapters (Sequelize in src/db, the host backends in src/host, the Kubernetes
 * client in src/kube) and the handler both import them and never each other; tests
 * implement the interfaces by hand. The handler never sees an SDK type.
 */

/** One interface as MultiNIC configured it on this host; also one entry of the Node annotation. */
export interface ConfiguredInterface {
  /** `multinicN`. */
  name: string;
  macAddress: string;
  portId: string;
  subnetId: string;
  networkId: string;
  cidr: string;
  address: string | null;
  mtu: number | null;
  /** Row version it was configured from. */
  generation: number;
  /** CloudEvents `source` of the event that configured it (`/multinic/publisher`, `/multinic/resync`, or an external tool's). */
  origin: string;
}

/** What the database says about one port right now. */
export interface PortRow {
  portId: string;
  /** attached_node_name. */
  nodeName: string | null;
  generation: number;
  deleted: boolean;
  netplanSuccess: boolean;
  /** The row as event data, or the reason it cannot be one (bad MAC, unknown subnet, ...). */
  data: InterfaceEventData | { error: string };
  /**
   * The failure recorded in multinic_port_state for this port, when its last outcome was
   * 'failed' (generation = the version that failed); absent or null otherwise.
   */
  lastFailure?: { generation: number; error: string } | null;
}

/** Every row of one node, from one successful query. */
export interface NodePorts {
  nodeName: string;
  /** False when node_table has no such node: callers must then never remove anything. */
  known: boolean;
  /** Every row whose attached_node_name is this node under the identity rule (src/model/node-identity.ts), any spelling. */
  rows: PortRow[];
  /** Live node_table names, as read with the rows: what `rowOwner` resolves a row's node against. */
  nodeTable?: string[];
  /**
   * Rows that may be this node's but cannot be accounted for (their name fits several
   * node_table names), one reason each: they keep the node not ready and nothing of
   * theirs is removed.
   */
  unaccounted?: string[];
}

/** The last outcome recorded for a port (MultiNIC's own table, never OpenStack's rows). */
export interface PortOutcomeRecord {
  portId: string;
  nodeName: string;
  generation: number;
  contentDigest: string;
  outcome: 'configured' | 'removed' | 'failed';
  interfaceName: string | null;
  lastError: string | null;
  eventId: string | null;
}

/** Database access of the agent. */
export interface InterfaceStore {
  getPort(portId: string): Promise<PortRow | undefined>;
  /** The rows of these ports in one query, by port id; a port with no row is absent from the map. */
  getPorts(portIds: readonly string[]): Promise<Map<string, PortRow>>;
  /**
   * Sets netplan_success = 1 only if the row still describes `applied` (same node,
   * generation, MAC, subnet, address, MTU, not deleted), without moving modified_at.
   * Returns false when the row changed meanwhile (a newer event will follow).
   */
  markConfigured(applied: InterfaceEventData): Promise<boolean>;
  /**
   * markConfigured for a batch: one statement when every row still describes what was
   * applied, otherwise each row on its own. One result per item, in order.
   */
  markConfiguredMany(applied: readonly InterfaceEventData[]): Promise<boolean[]>;
  /** Sets netplan_success = 0 on a deleted row of this node/generation; false when it is live again. */
  markRemoved(data: InterfaceEventData): Promise<boolean>;
  recordOutcome(record: PortOutcomeRecord): Promise<void>;
  /** recordOutcome for several ports in one statement (a batch's outcomes); a port listed twice keeps its last record. */
  recordOutcomes(records: readonly PortOutcomeRecord[]): Promise<void>;
  /** Throws on any query failure; never answers "no rows" for an error. */
  listNodePorts(nodeName: string): Promise<NodePorts>;
  /** attached_node_name of every live node_table row (resolved with the identity rule by callers). Throws on a query failure. */
  listNodeNames(): Promise<string[]>;
}

/** Result of putting one interface's configuration on the host. */
export interface HostChange {
  name: string;
  /** False when the content was already there: no file written, no apply run. */
  changed: boolean;
}

/** One change of a host batch, in the order the events came. */
export type HostBatchChange =
  | { op: 'configure'; data: InterfaceEventData; origin: string }
  | { op: 'remove'; portId: string };

/**
 * What became of one change of a batch: done (as `configure` / `remove` would return), or
 * failed alone before anything was applied (its NIC did not appear, a file that is not
 * ours, a NIC owned by someone else), while the rest of the batch went ahead.
 */
export type HostBatchResult = { ok: true; name: string | null; changed: boolean } | { ok: false; error: unknown };

/** The host side: NIC lookup by MAC, netplan files, apply, verify, roll back. */
export interface InterfaceHost {
  /**
   * Makes the host carry exactly this interface's configuration: waits for the NIC,
   * refuses a NIC it does not own, renders, validates, backs up, writes, applies,
   * verifies, and rolls back on failure. A no-op when the content is already there.
   */
  configure(data: InterfaceEventData, origin: string): Promise<HostChange>;
  /** Removes this port's file (only MultiNIC's own), applies and verifies; no-op when absent. */
  remove(portId: string): Promise<{ name: string | null; changed: boolean }>;
  /**
   * Several changes as one: each planned in order against the configuration the previous
   * ones leave, then one candidate configuration, one validation, one apply, one
   * verification and, on failure, one rollback of them all. Returns one result per
   * change, in order; a change that fails in planning fails alone. Throws when the shared
   * validation, apply or verification fails (nothing of the batch stays applied); the
   * caller then splits the batch to find the change at fault. Hosts without it are
   * driven one change at a time (src/agent/host-batch.ts).
   */
  applyBatch?(changes: readonly HostBatchChange[]): Promise<HostBatchResult[]>;
  /** Every interface configured by MultiNIC's own files on this host. */
  listConfigured(): Promise<ConfiguredInterface[]>;
  /** Forgets any cached view of the host so the next call reads it from disk (resync calls it). */
  refresh?(): Promise<void>;
  /**
   * Other configurations that now claim a NIC MultiNIC configured (one reason per port);
   * changes nothing. Resync reports them on the Node (ready=false, last-error).
   */
  audit?(): Promise<Array<{ portId: string; name: string; reason: string }>>;
}

/** The whole MultiNIC state of a node, from which the Node patch is computed (never incrementally). */
export interface NodeInterfaceState {
  interfaces: ConfiguredInterface[];
  /** Every non-deleted row of this node is configured here and valid. */
  ready: boolean;
  /** Why the node is not ready; null when healthy. */
  lastError: string | null;
  /** The host backend applying this node's interfaces (`netplan`, `networkmanager`); set by the agent's root, shown as a label. */
  backend?: string;
}

/** Kubernetes side: patches the agent's own Node. */
export interface NodePatcher {
  /**
   * `force` sends even a patch identical to the last one sent (an adapter may skip those);
   * resync forces, so a Node changed behind MultiNIC's back is repaired.
   */
  patchInterfaces(kubeNodeName: string, state: NodeInterfaceState, options?: { force?: boolean }): Promise<void>;
}

/** Everything a handler invocation may use. Built once in the entry point. */
export interface AgentPorts {
  store: InterfaceStore;
  host: InterfaceHost;
  nodes: NodePatcher;
  log: Pick<Log, 'info' | 'warn' | 'error' | 'debug'>;
  /** The node this agent serves: Kubernetes name and database (attached_node_name) name. */
  node: { kubeName: string; dbName: string };
  now: () => Date;
}

/** What a handler did with one event; the trigger logs it and acks. */
export interface HandlerOutcome {
  result: 'configured' | 'unchanged' | 'removed' | 'absent' | 'stale';
  interfaceName: string | null;
  /** One line for the log. */
  detail: string;
}

/** The handler's signature: a function of (event, ports). */
export type InterfaceEventHandler = (event: InterfaceEvent, ports: AgentPorts) => Promise<HandlerOutcome>;

/** One Kubernetes Event about the agent's Node: what `kubectl describe node` lists. */
export interface NodeEvent {
  /** `Normal` or `Warning` (the two types Kubernetes defines). */
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. `InterfaceConfigured`, `InterfaceRefused`, `InterfaceRolledBack`. */
  reason: string;
  /** One line for a person. */
  message: string;
}

/** Kubernetes side: records Events on the agent's own Node; a repeat of the same event counts up. */
export interface NodeEventRecorder {
  record(kubeNodeName: string, event: NodeEvent): Promise<void>;
}
