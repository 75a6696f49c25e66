/**
 * The network lab: simulated Kubernetes nodes on this machine's kernel, each in network
 * namespaces of its own, cabled to one switch namespace. Nothing touches the host's own
 * interfaces, routes or /etc; the real `netplan apply` only ever runs inside a node's private
 * mount namespace. Usage and the checked facts behind it: src/lab/README.md.
 *
 *     const lab = await Lab.start({ tag: 'lb' });
 *     const node = await lab.addNode({ name: 'worker-1' });          // networkd + netplan
 *     await node.plug({ mac: 'fa:16:3e:00:01:04' });                 // arrives as ens4, DOWN
 *     await lab.stop();                                              // also on exit and SIGINT/SIGTERM
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { accessSync, constants, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LabError, LabUnavailableError } from './errors.js';
import { removeNamespace, TAG } from './cleanup.js';
import { HOLDER, LabNode, normalMac, STAND_INS, type Backend } from './node.js';
import { writeCloudInitKeyfile, writeCloudInitNetplan, type PrimaryNic } from './primary.js';
import { run } from './run.js';
import { LabSwitch } from './switch.js';

/** Options of {@link Lab.start}. */
export interface LabOptions {
  /** Prefix of every netns, veth and folder the lab creates (2–6 of a-z0-9, e.g. `lb`); a random id follows it. */
  tag: string;
  /**
   * Default true: on SIGINT / SIGTERM the lab tears itself down and exits the process (130 / 143).
   * false: the caller handles those signals and calls {@link Lab.stop} itself (the demo and the
   * bench first remove their database and vhost); the teardown on process exit stays either way.
   */
  exitOnSignal?: boolean;
}

/** What {@link Lab.addNode} builds. Every field but `name` has a default. */
export interface NodeSpec {
  /** Node name, e.g. `worker-1` (1–20 of a-z0-9-): netns `<lab id>-<name>`, hostname in the node. */
  name: string;
  /** Default `networkd` (netplan renders for systemd-networkd). */
  backend?: Backend;
  /** Default: `ens3`, MAC fa:16:3e:00:<node number>:03, address 10.0.0.<10 + node number>/24, gateway 10.0.0.1. */
  primary?: Partial<PrimaryNic>;
}

const NODE_NAME = /^[a-z0-9][a-z0-9-]{0,19}$/;
const NEEDED = {
  networkd: ['ip', 'nsenter', 'unshare', 'dbus-daemon', 'busctl', 'ping', 'netplan', 'networkctl', '/lib/systemd/systemd-networkd'],
  networkmanager: ['ip', 'nsenter', 'unshare', 'dbus-daemon', 'busctl', 'ping', 'NetworkManager', 'nmcli'],
} as const;

/** Labs not yet stopped, torn down synchronously when the process exits or is signalled. */
const live = new Set<Lab>();
let exitHooked = false;
let signalsHooked = false;
function installExitHooks(exitOnSignal: boolean): void {
  if (!exitHooked) process.on('exit', () => { for (const lab of live) lab.stopSync(); });
  exitHooked = true;
  if (!exitOnSignal || signalsHooked) return;
  signalsHooked = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      for (const lab of live) lab.stopSync();
      process.exit(code);
    });
  }
}

function findBinary(name: string): string | undefined {
  const candidates = name.startsWith('/') ? [name] : ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => join(d, name));
  return candidates.find((p) => { try { accessSync(p, constants.X_OK); return true; } catch { return false; } });
}

/** Throws LabUnavailableError naming what this machine lacks for a `backend` node. */
function checkBinaries(backend: Backend): void {
  const missing = NEEDED[backend].filter((b) => !findBinary(b));
  if (missing.length) {
    throw new LabUnavailableError(`network lab (${backend}): missing ${missing.join(', ')}; \`bash scripts/services/start.sh lab\` installs the lab's Debian packages`);
  }
}

export class Lab {
  readonly switch: LabSwitch;
  private readonly nodes = new Map<string, LabNode>();
  private readonly pending = new Map<NodeJS.Timeout, () => void>();
  private peers = 0;
  private stopped = false;

  private constructor(
    /** `<tag><4 hex>`: the start of every name this lab creates. */
    readonly id: string,
    /** Temporary folder holding every node's folder. */
    readonly dir: string,
  ) {
    this.switch = new LabSwitch(`${id}-sw`);
  }

  /**
   * Checks the machine (root, network namespaces, binaries) and builds the switch.
   * @throws LabUnavailableError saying what is missing (not root, no netns, a binary).
   * @throws LabError on a bad tag.
   */
  static async start({ tag, exitOnSignal = true }: LabOptions): Promise<Lab> {
    if (!TAG.test(tag)) throw new LabError(`lab: tag '${tag}' must match ${TAG}`);
    if (process.getuid?.() !== 0) {
      throw new LabUnavailableError(`network lab: needs root (uid 0) to create network namespaces, veths and mounts; this process runs as uid ${process.getuid?.()}`);
    }
    checkBinaries('networkd');
    // tsc compiles only the .ts files: a build in dist/ has no holder script or stand-ins.
    const scripts = [HOLDER, join(STAND_INS, 'systemctl'), join(STAND_INS, 'udevadm')].filter((f) => !existsSync(f));
    if (scripts.length) throw new LabUnavailableError(`network lab: its scripts are missing (${scripts.join(', ')}): run from the sources (MULTINIC_FROM_SOURCE=1), not a compiled build`);
    const id = `${tag}${randomBytes(2).toString('hex')}`;
    const lab = new Lab(id, await mkdtemp(join(tmpdir(), `${id}-lab-`)));
    installExitHooks(exitOnSignal);
    live.add(lab);
    try {
      await run(['ip', 'netns', 'add', lab.switch.netns]);
    } catch (err) {
      await lab.stop();
      throw new LabUnavailableError(`network lab: cannot create a network namespace (ip netns add): ${(err as Error).message}`, { cause: err });
    }
    try {
      await lab.switch.build();
    } catch (err) {
      await lab.stop();
      throw err;
    }
    return lab;
  }

  /** The node called `name`. @throws LabError when there is none. */
  node(name: string): LabNode {
    const node = this.nodes.get(name);
    if (!node) throw new LabError(`lab: no node '${name}'`);
    return node;
  }

  /**
   * Builds a node (netns, primary NIC cabled to the switch's `br-primary`, holder, daemon) and
   * resolves when its primary NIC has its address and default route (typically 0.3–0.6 s).
   * The gateway's address is added to the switch.
   * @throws LabError on a bad or duplicate name or MAC; LabUnavailableError when a binary is missing.
   */
  async addNode(spec: NodeSpec): Promise<LabNode> {
    if (this.stopped) throw new LabError('lab: stopped');
    if (!NODE_NAME.test(spec.name)) throw new LabError(`lab: node name '${spec.name}' must match ${NODE_NAME}`);
    if (this.nodes.has(spec.name)) throw new LabError(`lab: node '${spec.name}' exists`);
    const backend = spec.backend ?? 'networkd';
    checkBinaries(backend);
    const n = this.nodes.size + 1;
    const hex = n.toString(16).padStart(2, '0');
    const primary: PrimaryNic = {
      ifname: spec.primary?.ifname ?? 'ens3',
      mac: normalMac(spec.primary?.mac ?? `fa:16:3e:00:${hex}:03`),
      address: spec.primary?.address ?? `10.0.0.${10 + n}/24`,
      gateway: spec.primary?.gateway ?? '10.0.0.1',
    };
    const dir = join(this.dir, spec.name);
    for (const sub of ['etc/netplan', 'etc/NetworkManager/system-connections', 'etc/NetworkManager/conf.d', 'etc/NetworkManager/dispatcher.d']) {
      await mkdir(join(dir, sub), { recursive: true });
    }
    await writeFile(join(dir, 'resolv.conf'), '');
    const node = new LabNode(spec.name, backend, `${this.id}-${spec.name}`, dir, primary, {
      switchNetns: this.switch.netns,
      nextPeerName: () => `${this.id}p${++this.peers}`,
      attachPeer: (peer, segment) => this.switch.attach(peer, segment),
      track: (timer, cancel) => { this.pending.set(timer, cancel); return () => this.pending.delete(timer); },
    });
    this.nodes.set(spec.name, node);
    await run(['ip', 'netns', 'add', node.netns]);
    await run(['ip', '-n', node.netns, 'link', 'set', 'lo', 'up']);
    await this.switch.addAddress(`${primary.gateway}/${primary.address.split('/')[1]}`, 'primary');
    const peer = `${this.id}p${++this.peers}`;
    await run(['ip', 'link', 'add', primary.ifname, 'netns', node.netns, 'address', primary.mac, 'type', 'veth', 'peer', 'name', peer, 'netns', this.switch.netns]);
    await this.switch.attach(peer, 'primary');
    if (backend === 'networkd') await writeCloudInitNetplan(node.netplanDir, primary);
    else await writeCloudInitKeyfile(join(dir, 'etc/NetworkManager'), primary);
    await node.boot();
    return node;
  }

  /** Removes every namespace, veth, mount and process of the lab and its folder; safe to call twice. */
  async stop(): Promise<void> {
    this.stopSync();
  }

  /** {@link stop} without awaiting: what the exit and signal hooks run. */
  stopSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const [timer, cancel] of this.pending) { clearTimeout(timer); cancel(); }
    this.pending.clear();
    for (const node of this.nodes.values()) node.release();
    for (const node of this.nodes.values()) removeNamespace(node.netns);
    removeNamespace(this.switch.netns);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}
