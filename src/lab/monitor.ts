/**
 * Watches a namespace's links, addresses and routes with `ip -ts monitor label link address
 * route` (iproute2 6.1 prints text even with `-j`, so its lines are parsed here).
 *
 * iproute2 names an address's or a route's link from a name cache filled when it starts: after
 * a rename it still prints the old name. Events are therefore tied to links by ifindex, and a
 * filter name matches every event of a link that has ever carried that name (since the
 * monitor started), so `excluding: ['multinic0']` also drops the events of `ens4` before it
 * was renamed to multinic0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync, readdirSync } from 'node:fs';
import { links } from './ip.js';
import { LabError } from './errors.js';
import { pollUntil } from './run.js';

/** One parsed `ip monitor` record. */
export interface MonitorEvent {
  /** When iproute2 received it (from `-ts`, local time), milliseconds since the epoch. */
  atMs: number;
  kind: 'link' | 'address' | 'route';
  /** A `Deleted …` record. */
  deleted: boolean;
  /** The link it concerns, when iproute2 names one. */
  ifindex?: number;
  /** Link name as printed (for addresses and routes: maybe a name the link had earlier). */
  ifname?: string;
  /** A route record for `default`. */
  defaultRoute: boolean;
  /** The first line as printed, without the timestamp and label. */
  text: string;
}

/** Filter of {@link LinkMonitor.events}: names of links, matched as the class comment says. */
export interface EventFilter {
  /** Keep only events of these links. */
  only?: readonly string[];
  /** Drop events of these links. */
  excluding?: readonly string[];
}

const HEADER = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] \[(LINK|ADDR|ROUTE)\](Deleted )?(.*)$/;
const KINDS = { LINK: 'link', ADDR: 'address', ROUTE: 'route' } as const;

/** Parses one header line of `ip -ts monitor label`; continuation lines give undefined. */
export function parseMonitorLine(line: string): MonitorEvent | undefined {
  const m = HEADER.exec(line);
  if (!m) return undefined;
  const [, ts, label, deleted, text] = m as unknown as [string, string, keyof typeof KINDS, string | undefined, string];
  const kind = KINDS[label];
  const event: MonitorEvent = { atMs: Date.parse(ts.slice(0, 23)), kind, deleted: Boolean(deleted), defaultRoute: false, text };
  if (kind === 'route') {
    event.ifname = / dev (\S+)/.exec(text)?.[1];
    event.defaultRoute = /^default /.test(text);
  } else {
    const head = /^(\d+): ([^:@\s]+)/.exec(text);
    if (head) {
      event.ifindex = Number(head[1]);
      event.ifname = head[2];
    }
  }
  return event;
}

/** A running `ip monitor` of one namespace; {@link LinkMonitor.stop} ends it. */
export class LinkMonitor {
  private readonly seen: MonitorEvent[] = [];
  /** ifindex → every name seen for it. */
  private readonly names = new Map<number, Set<string>>();
  private partial = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.feed(chunk));
  }

  /**
   * Starts watching `netns`; resolves once iproute2 has subscribed, so every later change is seen.
   * @throws LabError when `ip monitor` does not start within 5 s.
   */
  static async start(netns: string): Promise<LinkMonitor> {
    const child = spawn('ip', ['-n', netns, '-ts', 'monitor', 'label', 'link', 'address', 'route'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const mon = new LinkMonitor(child);
    // iproute2 prints nothing when ready; it has subscribed once its netlink socket exists.
    await pollUntil(`ip monitor of ${netns} to open its netlink socket`, () => {
      if (child.exitCode !== null) throw new LabError(`ip monitor of ${netns} exited ${child.exitCode}`);
      return readdirSync(`/proc/${child.pid}/fd`).some((fd) => readlinkSync(`/proc/${child.pid}/fd/${fd}`).startsWith('socket:'));
    }, { timeoutMs: 5_000, intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 20));
    for (const l of await links(netns)) mon.remember(l.ifindex, l.ifname);
    return mon;
  }

  /** Events so far, oldest first, optionally filtered by link names. */
  events(filter: EventFilter = {}): MonitorEvent[] {
    const only = filter.only && this.indexesOf(filter.only);
    const excluding = filter.excluding && this.indexesOf(filter.excluding);
    return this.seen.filter((e) => {
      const index = this.indexOf(e);
      const named = (set: { indexes: Set<number>; names: Set<string> }) =>
        (index !== undefined && set.indexes.has(index)) || (e.ifname !== undefined && set.names.has(e.ifname));
      if (only && !named(only)) return false;
      if (excluding && named(excluding)) return false;
      return true;
    });
  }

  /** Stops `ip monitor`; events stay readable. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }

  private feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const e = parseMonitorLine(line);
      if (!e) continue;
      if (e.kind === 'link' && e.ifindex !== undefined && e.ifname) this.remember(e.ifindex, e.ifname);
      this.seen.push(e);
    }
  }

  private remember(index: number, name: string): void {
    const set = this.names.get(index) ?? new Set<string>();
    set.add(name);
    this.names.set(index, set);
  }

  private indexOf(e: MonitorEvent): number | undefined {
    if (e.ifindex !== undefined) return e.ifindex;
    for (const [index, names] of this.names) if (e.ifname && names.has(e.ifname)) return index;
    return undefined;
  }

  /** The indexes that ever carried one of `names`, and every name those indexes carried. */
  private indexesOf(names: readonly string[]): { indexes: Set<number>; names: Set<string> } {
    const indexes = new Set<number>();
    const all = new Set<string>(names);
    for (const [index, seen] of this.names) {
      if (names.some((n) => seen.has(n))) {
        indexes.add(index);
        for (const n of seen) all.add(n);
      }
    }
    return { indexes, names: all };
  }
}
