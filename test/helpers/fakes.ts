import { createRingLogger } from '../../src/log/logger.js';
import { sameContent } from '../../src/model/content.js';
import { rowOwner, sameNode } from '../../src/model/node-identity.js';
import { isInvalid } from '../../src/events/network.js';
import type { InterfaceEventData } from '../../src/events/types.js';
import type {
  AgentPorts,
  ConfiguredInterface,
  HostBatchChange,
  HostBatchResult,
  HostChange,
  InterfaceHost,
  InterfaceStore,
  NodeInterfaceState,
  NodePatcher,
  NodePorts,
  PortOutcomeRecord,
  PortRow,
} from '../../src/model/ports.js';
import { configuredFrom } from './builders.js';

/**
 * Hand-written fakes of the agent's ports. They keep state in plain maps and record every
 * call, so a unit test arranges rows and files, acts, and asserts on what was written,
 * applied and patched — no stubs of SDKs, no network.
 */

/** InterfaceStore over a map of rows; `failNext` makes the next call of a method throw. */
export class FakeStore implements InterfaceStore {
  rows = new Map<string, PortRow>();
  outcomes: PortOutcomeRecord[] = [];
  /** node_table names. */
  nodeNames: string[] = ['worker-1', 'worker-2'];
  calls: string[] = [];
  private failures = new Map<string, Error>();

  constructor(rows: PortRow[] = []) {
    for (const r of rows) this.rows.set(r.portId, structuredClone(r));
  }

  failNext(method: keyof InterfaceStore, err = new Error(`fake ${method} failure`)): void {
    this.failures.set(method, err);
  }

  private enter(method: string): void {
    this.calls.push(method);
    const err = this.failures.get(method);
    if (err) {
      this.failures.delete(method);
      throw err;
    }
  }

  async getPort(portId: string): Promise<PortRow | undefined> {
    this.enter('getPort');
    const r = this.rows.get(portId);
    return r && structuredClone(r);
  }

  async getPorts(portIds: readonly string[]): Promise<Map<string, PortRow>> {
    this.enter('getPorts');
    const out = new Map<string, PortRow>();
    for (const id of portIds) {
      const r = this.rows.get(id);
      if (r) out.set(id, structuredClone(r));
    }
    return out;
  }

  async markConfigured(applied: InterfaceEventData): Promise<boolean> {
    this.enter('markConfigured');
    return this.configuredNow(applied);
  }

  async markConfiguredMany(applied: readonly InterfaceEventData[]): Promise<boolean[]> {
    this.enter('markConfiguredMany');
    return applied.map((a) => this.configuredNow(a));
  }

  private configuredNow(applied: InterfaceEventData): boolean {
    const r = this.rows.get(applied.portId);
    if (!r || r.deleted || r.nodeName !== applied.nodeName || r.generation !== applied.generation || isInvalid(r.data)) return false;
    if (!sameContent(r.data, applied)) return false;
    r.netplanSuccess = true;
    return true;
  }

  async markRemoved(data: InterfaceEventData): Promise<boolean> {
    this.enter('markRemoved');
    const r = this.rows.get(data.portId);
    if (!r || !r.deleted || r.nodeName !== data.nodeName || r.generation !== data.generation) return false;
    r.netplanSuccess = false;
    return true;
  }

  async recordOutcome(record: PortOutcomeRecord): Promise<void> {
    this.enter('recordOutcome');
    this.outcomes.push(record);
    const r = this.rows.get(record.portId);
    if (r) r.lastFailure = record.outcome === 'failed' ? { generation: record.generation, error: record.lastError ?? '' } : null;
  }

  async recordOutcomes(records: readonly PortOutcomeRecord[]): Promise<void> {
    this.enter('recordOutcomes');
    for (const r of records) {
      this.outcomes.push(r);
      const row = this.rows.get(r.portId);
      if (row) row.lastFailure = r.outcome === 'failed' ? { generation: r.generation, error: r.lastError ?? '' } : null;
    }
  }

  /** Rows of this node under the identity rule, as the real store answers (names fitting several nodes in `unaccounted`). */
  async listNodePorts(nodeName: string): Promise<NodePorts> {
    this.enter('listNodePorts');
    const unaccounted: string[] = [];
    const rows = [...this.rows.values()].filter((r) => {
      if (r.nodeName === null || !sameNode(r.nodeName, nodeName)) return false;
      const owner = rowOwner(r.nodeName, nodeName, this.nodeNames);
      if (owner.owner === 'ambiguous') unaccounted.push(owner.reason);
      return owner.owner === 'this';
    });
    return { nodeName, known: this.nodeNames.includes(nodeName), rows: rows.map((r) => structuredClone(r)), nodeTable: [...this.nodeNames], unaccounted };
  }

  async listNodeNames(): Promise<string[]> {
    this.enter('listNodeNames');
    return [...this.nodeNames];
  }
}

/** InterfaceHost over a map of configured ports; counts applies so duplicates can be shown to cost none. */
export class FakeHost implements InterfaceHost {
  configured = new Map<string, ConfiguredInterface>();
  applies = 0;
  calls: string[] = [];
  /** Read-only calls, in order (kept apart from `calls`, which lists changes). */
  reads: string[] = [];
  /** When set, configure() throws it (after nothing was changed, as a rollback leaves it). */
  configureError: Error | undefined;
  /** Sizes of the batches applyBatch was given. */
  batches: number[] = [];
  /** Ports whose change fails alone in applyBatch, with the error. */
  failPorts = new Map<string, Error>();
  private nextIndex = 0;
  private names = new Map<string, string>();

  constructor(initial: ConfiguredInterface[] = []) {
    for (const c of initial) {
      this.configured.set(c.portId, c);
      this.names.set(c.macAddress, c.name);
      this.nextIndex = Math.max(this.nextIndex, Number(c.name.replace(/\D/g, '')) + 1);
    }
  }

  async configure(data: InterfaceEventData, origin: string): Promise<HostChange> {
    this.calls.push(`configure ${data.portId}`);
    if (this.configureError) throw this.configureError;
    let name = this.names.get(data.macAddress);
    if (!name) {
      name = `multinic${this.nextIndex++}`;
      this.names.set(data.macAddress, name);
    }
    const existing = this.configured.get(data.portId);
    if (existing && sameContent(existing, data)) return { name, changed: false };
    this.configured.set(data.portId, configuredFrom(data, name, origin));
    this.applies++;
    return { name, changed: true };
  }

  async remove(portId: string): Promise<{ name: string | null; changed: boolean }> {
    this.calls.push(`remove ${portId}`);
    const existing = this.configured.get(portId);
    if (!existing) return { name: null, changed: false };
    this.configured.delete(portId);
    this.applies++;
    return { name: existing.name, changed: true };
  }

  /** Each change as configure / remove would make it, but one apply for the batch (ManagedHost's contract); `failPorts` fail alone. */
  async applyBatch(changes: readonly HostBatchChange[]): Promise<HostBatchResult[]> {
    this.batches.push(changes.length);
    const before = this.applies;
    const results: HostBatchResult[] = [];
    for (const c of changes) {
      try {
        const portId = c.op === 'configure' ? c.data.portId : c.portId;
        if (this.failPorts.has(portId)) throw this.failPorts.get(portId);
        results.push({ ok: true, ...(c.op === 'configure' ? await this.configure(c.data, c.origin) : await this.remove(c.portId)) });
      } catch (error) {
        results.push({ ok: false, error });
      }
    }
    if (this.applies > before) this.applies = before + 1;
    return results;
  }

  async listConfigured(): Promise<ConfiguredInterface[]> {
    this.reads.push('listConfigured');
    return [...this.configured.values()];
  }

  async refresh(): Promise<void> {
    this.reads.push('refresh');
  }
}

/** NodePatcher that keeps every patch; `failNext` makes the next one throw. */
export class FakePatcher implements NodePatcher {
  patches: Array<{ node: string; state: NodeInterfaceState; force: boolean }> = [];
  private failure: Error | undefined;

  failNext(err = new Error('fake Kubernetes API failure')): void {
    this.failure = err;
  }

  async patchInterfaces(kubeNodeName: string, state: NodeInterfaceState, { force = false }: { force?: boolean } = {}): Promise<void> {
    if (this.failure) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
    this.patches.push({ node: kubeNodeName, state: structuredClone(state), force });
  }

  get last(): NodeInterfaceState | undefined {
    return this.patches.at(-1)?.state;
  }
}

/** Ports wired from the fakes, with a ring-buffer logger the test can read. */
export function fakePorts(
  { store = new FakeStore(), host = new FakeHost(), nodes = new FakePatcher(), node = { kubeName: 'worker-1', dbName: 'worker-1' } }: Partial<{
    store: FakeStore;
    host: FakeHost;
    nodes: FakePatcher;
    node: AgentPorts['node'];
  }> = {},
) {
  const { log, records } = createRingLogger('agent-test');
  const ports: AgentPorts = { store, host, nodes, log, node, now: () => new Date() };
  return { ports, store, host, nodes, records };
}
