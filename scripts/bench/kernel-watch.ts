/**
 * When did the kernel configure a NIC? The lab phase's clock for "row -> kernel-configured":
 * an `ip monitor` per lab node (src/lab LinkMonitor, `ip -ts monitor label link address
 * route` in the node's namespace) and, per expected (MAC, address), the time of the first
 * record that adds that address to the link carrying that MAC. The link is tracked by its
 * ifindex, which survives the apply's rename (ens4 -> multinicN). Nothing is read from files.
 */
import { cidrsOf, type LabNode, type LinkMonitor, type MonitorEvent } from '../../src/lab/index.js';

/** One NIC the bench waits for: its node, MAC, and the `address/prefix` its row asks for. */
export interface KernelTarget {
  node: LabNode;
  mac: string;
  cidr: string;
}

/** How a NIC ended, read with `ip -j` in its node after the waiting. */
export interface KernelCheck {
  /** NICs named multinicN, UP, carrying the row's address. */
  verified: number;
  /** `node mac: what the kernel showed` for the others. */
  wrong: string[];
}

export class KernelWatch {
  private readonly monitors = new Map<LabNode, LinkMonitor>();
  /** node -> MAC -> ifindex. */
  private readonly indexes = new Map<LabNode, Map<string, number>>();

  private constructor() {}

  /** Starts an `ip monitor` in each node and notes each NIC's ifindex (plug the NICs first). */
  static async start(nodes: readonly LabNode[]): Promise<KernelWatch> {
    const w = new KernelWatch();
    for (const node of nodes) {
      w.monitors.set(node, await node.monitor());
      w.indexes.set(node, new Map((await node.links()).flatMap((l) => (l.address ? [[l.address, l.ifindex] as const] : []))));
    }
    return w;
  }

  /** When `target`'s address was first added to its NIC at or after `sinceMs` (epoch ms), or undefined. */
  configuredAt(target: KernelTarget, sinceMs: number): number | undefined {
    const index = this.indexes.get(target.node)?.get(target.mac);
    const family = target.cidr.includes(':') ? 'inet6' : 'inet';
    const needle = ` ${family} ${target.cidr} `;
    const hit = this.monitors.get(target.node)?.events().find((e) => e.kind === 'address' && !e.deleted && e.ifindex === index && e.atMs >= sinceMs && `${e.text} `.includes(needle));
    return hit?.atMs;
  }

  /** `ip monitor` records of the node's primary NIC (its foreign configuration) from `sinceMs` on. */
  primaryEvents(node: LabNode, sinceMs: number): MonitorEvent[] {
    return this.monitors.get(node)?.events({ only: [node.primary.ifname] }).filter((e) => e.atMs >= sinceMs) ?? [];
  }

  /**
   * Polls (every 50 ms, no process spawned: the monitors are already running) until every
   * target's address showed, or `timeoutMs`; returns each target's time (undefined: never seen).
   */
  async waitAll(targets: readonly KernelTarget[], sinceMs: number, timeoutMs: number, progress?: (done: number) => void): Promise<Array<number | undefined>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = targets.map((t) => this.configuredAt(t, sinceMs));
      const done = at.filter((a) => a !== undefined).length;
      progress?.(done);
      if (done === targets.length || Date.now() > deadline) return at;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Reads each target's NIC with `ip -j addr` in its node: the end state, judged by the kernel. */
  static async check(targets: readonly KernelTarget[]): Promise<KernelCheck> {
    const byNode = new Map<LabNode, Awaited<ReturnType<LabNode['addr']>>>();
    for (const t of targets) if (!byNode.has(t.node)) byNode.set(t.node, await t.node.addr());
    const out: KernelCheck = { verified: 0, wrong: [] };
    for (const t of targets) {
      const link = byNode.get(t.node)!.find((l) => l.address === t.mac);
      const ok = link && /^multinic\d+$/.test(link.ifname) && link.operstate === 'UP' && cidrsOf(link).includes(t.cidr);
      if (ok) out.verified++;
      else out.wrong.push(`${t.node.name} ${t.mac}: ${link ? `${link.ifname} ${link.operstate} ${cidrsOf(link).join(',') || 'no address'}` : 'no such NIC'}`);
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const m of this.monitors.values()) await m.stop();
  }
}
