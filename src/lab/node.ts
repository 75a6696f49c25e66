/**
 * One lab node: a network namespace (the node's kernel view), a holder process keeping a
 * private mount and UTS namespace (its own /run, /etc/netplan, /etc/NetworkManager, read-only
 * /sys, a private D-Bus), and either systemd-networkd (netplan configures it) or NetworkManager
 * running inside. Secondary NICs are veth ends with the MACs a test gives, cabled to the
 * switch's `br-data`. Built by `Lab.addNode`; removed by `Lab.stop`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from './errors.js';
import { addrs, cidrsOf, links, routes, type IpAddrLink, type IpLink, type IpRoute } from './ip.js';
import { LinkMonitor } from './monitor.js';
import type { PrimaryNic } from './primary.js';
import { pollUntil, run, type RunOptions, type RunResult } from './run.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** The holder script (see its header). */
export const HOLDER = join(HERE, 'holder.sh');
/** `systemctl` and `udevadm` stand-ins, first on PATH for everything run in a node. */
export const STAND_INS = join(HERE, 'bin');
const NODE_PATH = `${STAND_INS}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/** Which daemon configures the node's NICs. */
export type Backend = 'networkd' | 'networkmanager';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** What {@link LabNode.plug} creates. */
export interface PlugSpec {
  /** MAC of the NIC, e.g. `fa:16:3e:12:34:56` (any case). */
  mac: string;
  /** Kernel name the NIC arrives with; default the next free `ensN` (N ≥ 4). */
  ifname?: string;
  /** Wait this long before plugging (milliseconds; default 0): a NIC that appears after its event. */
  afterMs?: number;
}

/** A plugged secondary NIC: its name at arrival, MAC, and the switch-side veth end. */
export interface PluggedNic {
  ifname: string;
  mac: string;
  peer: string;
}

/** What a node needs from its lab (kept narrow so nodes never reach into the lab). */
export interface NodeContext {
  switchNetns: string;
  nextPeerName(): string;
  attachPeer(peer: string, segment: 'primary' | 'data'): Promise<void>;
  /** Registers a pending delayed plug so the lab can cancel it on stop. */
  track(timer: NodeJS.Timeout, cancel: () => void): () => void;
}

/** Validates and lower-cases a MAC. @throws LabError naming the bad value. */
export function normalMac(mac: string): string {
  const m = mac.toLowerCase();
  if (!MAC.test(m)) throw new LabError(`lab: '${mac}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return m;
}

export class LabNode {
  private nextEns = 4;
  private holder?: ChildProcess;
  /** pid of the holder (the node's namespaces, for nsenter and /proc/<pid>/root). */
  holderPid = 0;

  constructor(
    readonly name: string,
    readonly backend: Backend,
    readonly netns: string,
    /** Host folder of this node: etc/netplan, etc/NetworkManager, daemon logs. */
    readonly dir: string,
    readonly primary: PrimaryNic,
    private readonly ctx: NodeContext,
  ) {}

  /** Host path of the node's `/etc/netplan` (bind-mounted there): where the agent writes (NETPLAN_DIR). */
  get netplanDir(): string { return join(this.dir, 'etc/netplan'); }
  /** Host path of the node's `/etc/NetworkManager/system-connections`. */
  get nmConnectionsDir(): string { return join(this.dir, 'etc/NetworkManager/system-connections'); }
  /** Host path of the node's `/sys/class/net` (through the holder's root): SYSFS_NET_DIR. */
  get sysfsNetDir(): string { return `/proc/${this.holderPid}/root/sys/class/net`; }

  /** argv prefix that runs a command inside the node (network, mount, UTS namespaces; stand-ins first on PATH). */
  get enterCommand(): string[] {
    return ['nsenter', '--target', String(this.holderPid), '--net', '--mount', '--uts', '--', 'env', `PATH=${NODE_PATH}`];
  }

  /**
   * argv of the real `netplan apply` inside the node (NETPLAN_APPLY_COMMAND, as JSON).
   * @throws LabError on a NetworkManager node (it has no netplan).
   */
  get applyCommand(): string[] {
    if (this.backend !== 'networkd') throw new LabError(`lab: node ${this.name} runs NetworkManager; use nmcliCommand`);
    return [...this.enterCommand, 'netplan', 'apply'];
  }

  /**
   * argv prefix running `nmcli` inside the node, e.g. `[...node.nmcliCommand, 'connection', 'up', id]`.
   * @throws LabError on a networkd node.
   */
  get nmcliCommand(): string[] {
    if (this.backend !== 'networkmanager') throw new LabError(`lab: node ${this.name} runs systemd-networkd; use applyCommand`);
    return [...this.enterCommand, 'nmcli'];
  }

  /** Host path of the node's `/run/systemd/network` (through the holder's root): NETWORKD_RUN_DIR. */
  get networkdRunDir(): string { return `/proc/${this.holderPid}/root/run/systemd/network`; }

  /**
   * The agent's environment pointing into this node (networkd nodes): files, sysfs, the real
   * `netplan apply`, `ip` and `networkctl` in the node, its networkd directory, and
   * `bin/netplan-lab-generate` (the real netplan, then the lab's PermanentMACAddress rewrite).
   */
  agentEnv(): Record<'NETPLAN_DIR' | 'SYSFS_NET_DIR' | 'NETPLAN_APPLY_COMMAND' | 'IP_COMMAND' | 'NETWORKCTL_COMMAND' | 'NETWORKD_RUN_DIR' | 'NETPLAN_GENERATE_COMMAND', string> {
    return {
      NETPLAN_DIR: this.netplanDir,
      SYSFS_NET_DIR: this.sysfsNetDir,
      NETPLAN_APPLY_COMMAND: JSON.stringify(this.applyCommand),
      IP_COMMAND: JSON.stringify([...this.enterCommand, 'ip']),
      NETWORKCTL_COMMAND: JSON.stringify([...this.enterCommand, 'networkctl']),
      NETWORKD_RUN_DIR: this.networkdRunDir,
      NETPLAN_GENERATE_COMMAND: join(STAND_INS, 'netplan-lab-generate'),
    };
  }

  /** Starts the holder, then the node's daemon; resolves when the primary NIC has its address and default route. */
  async boot(): Promise<void> {
    await this.startHolder();
    if (this.backend === 'networkd') {
      await this.exec(['netplan', 'generate']);
      await this.exec(['systemctl', 'daemon-reload']);
      await this.exec(['systemctl', 'start', 'systemd-networkd']);
    } else {
      await this.exec(['systemctl', 'start', 'NetworkManager']);
    }
    const { ifname, address, gateway } = this.primary;
    try {
      await pollUntil(`node ${this.name}: ${ifname} with ${address} and a default route via ${gateway}`, async () => {
        const link = await this.addrOf(ifname);
        const hasDefault = (await this.routes()).some((r) => r.dst === 'default' && r.gateway === gateway && r.dev === ifname);
        return cidrsOf(link).includes(address) && hasDefault;
      }, { timeoutMs: 15_000 });
    } catch (err) {
      // The node's folder goes with Lab.stop(): carry the daemon's last words in the error.
      const log = join(this.dir, `${this.backend === 'networkd' ? 'systemd-networkd' : 'NetworkManager'}.log`);
      const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
      throw new LabError(`${(err as Error).message}\nlast lines of ${log}:\n${tail}`, { cause: err });
    }
  }

  /**
   * Runs `argv` inside the node (no shell), stand-ins first on PATH.
   * @throws LabCommandError on a non-zero exit unless `check: false`.
   */
  exec(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run([...this.enterCommand, ...argv], opts);
  }

  /**
   * Hot-plugs a secondary NIC: a veth end with `mac` appears in the node, DOWN and unconfigured
   * (a NetworkManager node sets every NIC it manages UP at once, NETWORKMANAGER.md §1); its
   * peer is cabled to the switch's `br-data`. With `afterMs`, resolves only after the plug:
   * do not await it to act in between. A delayed plug still pending at `Lab.stop` rejects.
   * @throws LabError on a bad MAC or name; LabCommandError when the node already has a link with that name.
   */
  plug(spec: PlugSpec): Promise<PluggedNic> {
    const plugged = this.plugNow(spec);
    // A test that does not await a delayed plug must not die of an unhandled rejection at stop.
    if (spec.afterMs) plugged.catch(() => {});
    return plugged;
  }

  private async plugNow(spec: PlugSpec): Promise<PluggedNic> {
    const mac = normalMac(spec.mac);
    const ifname = spec.ifname ?? this.nextFreeName();
    if (!IFNAME.test(ifname)) throw new LabError(`lab: '${ifname}' is not a valid interface name (1–15 of A-Za-z0-9_.-)`);
    if (spec.afterMs) await this.delay(spec.afterMs);
    const peer = this.ctx.nextPeerName();
    await run(['ip', 'link', 'add', ifname, 'netns', this.netns, 'address', mac, 'type', 'veth', 'peer', 'name', peer, 'netns', this.ctx.switchNetns]);
    await this.ctx.attachPeer(peer, 'data');
    return { ifname, mac, peer };
  }

  /**
   * Unplugs the NIC with `mac`, whatever it is called now (deleting a veth end deletes its peer).
   * @throws LabError when the node has no link with that MAC.
   */
  async unplug(mac: string): Promise<void> {
    const link = await this.linkByMac(mac);
    if (!link) throw new LabError(`lab: node ${this.name} has no link with MAC ${mac}`);
    await run(['ip', '-n', this.netns, 'link', 'del', link.ifname]);
  }

  /** The node's link with `mac` now (any case), or undefined. */
  async linkByMac(mac: string): Promise<IpLink | undefined> {
    const m = normalMac(mac);
    return (await this.links()).find((l) => l.address === m);
  }

  /** `ip -j addr show` in the node. */
  addr(): Promise<IpAddrLink[]> { return addrs(this.netns); }
  /** The `ip -j addr show` entry of one link of the node by name, or undefined. */
  async addrOf(ifname: string): Promise<IpAddrLink | undefined> {
    return (await this.addr()).find((l) => l.ifname === ifname);
  }
  /** `ip -j link show` in the node. */
  links(): Promise<IpLink[]> { return links(this.netns); }
  /** Main-table IPv4 and IPv6 routes in the node. */
  routes(): Promise<IpRoute[]> { return routes(this.netns); }
  /** Starts `ip monitor` of links, addresses and routes in the node (stop it when done; `Lab.stop` kills it anyway). */
  monitor(): Promise<LinkMonitor> { return LinkMonitor.start(this.netns); }

  /**
   * Resolves once no address in the node is tentative (IPv6 duplicate address detection done,
   * ~1–2 s after a link comes up), so a following `monitor()` sees only what comes next.
   * @throws LabError after `timeoutMs` (default 10 000).
   */
  async settled({ timeoutMs = 10_000 } = {}): Promise<void> {
    await pollUntil(`node ${this.name}: no tentative address`, async () =>
      (await this.addr()).every((l) => l.addr_info.every((a) => !a.tentative)), { timeoutMs, intervalMs: 50 });
  }

  /** ICMP echo from inside the node (`ping -c 5 -i 0.2 -W timeoutS`); true when any probe was answered. */
  async ping(address: string, { timeoutS = 2 } = {}): Promise<boolean> {
    const family = address.includes(':') ? '-6' : '-4';
    // Five probes 0.2 s apart, answered at least once (ping(8): exit 0 when any reply came):
    // right after an apply the first packet can be lost while ARP resolves or networkd
    // finishes the links it reconfigured, which made a single probe fail under load.
    return (await this.exec(['ping', family, '-n', '-q', '-c', '5', '-i', '0.2', '-W', String(timeoutS), address], { check: false })).code === 0;
  }

  /** Closes the holder's stdin (it then kills the node's processes); `Lab.stop` removes the rest. */
  release(): void {
    this.holder?.stdin?.end();
  }

  private async startHolder(): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.netns, 'unshare', '--uts', 'bash', HOLDER, this.dir, this.name], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.holder = child;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const lines = createInterface({ input: child.stdout! });
    this.holderPid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LabError(`lab: holder of node ${this.name} not ready within 10 s: ${stderr}`)), 10_000);
      lines.on('line', (line) => {
        const m = /^ready (\d+)$/.exec(line);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new LabError(`lab: holder of node ${this.name} exited ${code}: ${stderr.trim()}`)); });
    });
  }

  private nextFreeName(): string {
    return `ens${this.nextEns++}`;
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const untrack = this.ctx.track(setTimeout(() => { untrack(); resolve(); }, ms),
        () => reject(new LabError(`lab: stopped before a plug due after ${ms} ms on node ${this.name}`)));
    });
  }
}
