import { SEED } from '../db/index.js';
import { ipAddressReader } from '../host/addresses.js';
import { runCommand } from '../host/command.js';
import { Lab, LabUnavailableError, pollUntil, type IpAddrLink, type LabNode } from '../lab/index.js';
import type { Log } from '../log/logger.js';
import { join } from 'node:path';
import { DemoFailedError } from './errors.js';
import type { AgentPlace, DemoBackend } from './sandbox.js';

/** Prefix of the demo lab's network namespaces and folder (src/lab: `<tag><4 hex>-<node>`). */
export const DEMO_LAB_TAG = 'dm';

/** A NIC as the kernel of its lab node shows it (`ip -j addr show` in the node's namespace). */
export interface KernelNic {
  /** Kernel name now, e.g. `multinic2` after the apply's rename. */
  name: string;
  /** Global addresses, `address/prefix`; IPv6 ones still in duplicate address detection end in ` (tentative)`. */
  addresses: string[];
  mtu: number;
  /** iproute2's operstate (`UP`, `DOWN`, `LOWERLAYERDOWN`, ...). */
  state: string;
}

/** One seeded node to build: its name and the MACs of its secondary NICs. */
export interface DemoLabNodeSpec {
  node: string;
  macs: readonly string[];
}

/** The demo's network lab: a lab node per seeded node, its seeded NICs plugged in. */
export interface DemoLab {
  /** The lab's id: every namespace it made starts with it. */
  id: string;
  /** The lab's temporary folder: `<node>/etc/netplan` is bound to each node's /etc/netplan. */
  dir: string;
  /** Each demo node's lab node: netns, netplan folder, sysfs view, apply argv. */
  nodes: ReadonlyMap<string, LabNode>;
  /** Where the agent of `node` acts: the node's /etc/netplan and sysfs, the real `netplan apply` in it. */
  place(node: string, log: Log): AgentPlace;
  /** The kernel's view of every NIC of `node`, by lower-case MAC. */
  kernel(node: string): Promise<Map<string, KernelNic>>;
  /**
   * Resolves once every `expected` address is on the NIC with its MAC in the kernel (networkd
   * configures a NIC shortly after `netplan apply` returns), or after `timeoutMs`; true when all showed.
   */
  waitForAddresses(expected: ReadonlyArray<{ node: string; mac: string; address: string }>, timeoutMs: number): Promise<boolean>;
  /** Removes every namespace, veth, mount, process and folder of the lab. */
  stop(): Promise<void>;
}

/** Why the demo runs in the fake sandbox instead: the lab's own words (not root, no netns, a binary missing). */
export class LabFallback {
  constructor(readonly reason: string) {}
}

function kernelNic(link: IpAddrLink): KernelNic {
  return {
    name: link.ifname,
    addresses: link.addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}${a.tentative ? ' (tentative)' : ''}`),
    mtu: link.mtu,
    state: link.operstate,
  };
}

/**
 * Builds the demo's lab (src/lab/README.md): one node per spec — systemd-networkd with its
 * primary NIC configured by a foreign `50-cloud-init.yaml` (`netplan`), or NetworkManager
 * with a foreign cloud-init keyfile (`networkmanager`) — and each seeded MAC hot-plugged as
 * a veth NIC (DOWN, unconfigured): what OpenStack's attach looks like to a VM. The lab does not
 * exit the process on Ctrl-C (the demo removes its database and vhost first and then calls
 * `stop`); it still tears itself down when the process exits.
 * @returns a LabFallback when this machine cannot run the lab (LabUnavailableError).
 * @throws LabError when the lab is available but a node does not come up (then nothing is left).
 */
export async function startDemoLab(specs: readonly DemoLabNodeSpec[], backend: DemoBackend = 'netplan'): Promise<DemoLab | LabFallback> {
  let lab: Lab;
  try {
    lab = await Lab.start({ tag: DEMO_LAB_TAG, exitOnSignal: false });
  } catch (err) {
    if (err instanceof LabUnavailableError) return new LabFallback(err.message);
    throw err;
  }
  const nodes = new Map<string, LabNode>();
  try {
    for (const spec of specs) {
      const node = await lab.addNode({ name: spec.node, backend: backend === 'networkmanager' ? 'networkmanager' : 'networkd' });
      for (const mac of spec.macs) await node.plug({ mac });
      nodes.set(spec.node, node);
    }
  } catch (err) {
    await lab.stop();
    throw err;
  }
  const nodeOf = (name: string) => {
    const node = nodes.get(name);
    if (!node) throw new Error(`demo lab: no node ${name}`);
    return node;
  };
  const kernel = async (name: string) => new Map((await nodeOf(name).addr()).flatMap((l) => (l.address ? [[l.address, kernelNic(l)] as const] : [])));
  return {
    id: lab.id,
    dir: lab.dir,
    nodes,
    place(name, log) {
      const node = nodeOf(name);
      // The takeover guard reads addresses where the NIC is: in the node's namespaces, as a
      // hostNetwork agent's `ip` does on a real node.
      const addresses = ipAddressReader({ log, run: (argv, opts) => runCommand([...node.enterCommand, ...argv], opts) });
      if (backend === 'networkmanager') {
        return {
          backend,
          connectionsDir: node.nmConnectionsDir,
          netplanDir: node.netplanDir,
          sysfsDir: node.sysfsNetDir,
          // Never run: the agent's backend is NetworkManager (AGENT_BACKEND), which has no apply command.
          applyCommand: ['false'],
          addresses,
          hostEnv: {
            IP_COMMAND: JSON.stringify([...node.enterCommand, 'ip']),
            NMCLI_COMMAND: JSON.stringify(node.nmcliCommand),
            NM_CONNECTIONS_DIR: node.nmConnectionsDir,
            // The .link files and ifcfg folder of the node, inside the lab's folder: never this machine's.
            NM_LINK_DIR: join(node.dir, 'etc', 'systemd', 'network'),
            NM_IFCFG_DIR: join(node.dir, 'etc', 'sysconfig', 'network-scripts'),
          },
        };
      }
      return {
        netplanDir: node.netplanDir,
        sysfsDir: node.sysfsNetDir,
        applyCommand: node.applyCommand,
        addresses,
        hostEnv: pick(node.agentEnv(), ['IP_COMMAND', 'NETWORKCTL_COMMAND', 'NETWORKD_RUN_DIR', 'NETPLAN_GENERATE_COMMAND']),
      };
    },
    kernel,
    async waitForAddresses(expected, timeoutMs) {
      return pollUntil('the seeded addresses in the lab nodes\' kernels', async () => {
        const byNode = new Map<string, Map<string, KernelNic>>();
        for (const e of expected) if (!byNode.has(e.node)) byNode.set(e.node, await kernel(e.node));
        return expected.every((e) => byNode.get(e.node)?.get(e.mac)?.addresses.some((a) => a.split(' ')[0] === e.address));
      }, { timeoutMs, intervalMs: 100 }).then(() => true, () => false);
    },
    stop: () => lab.stop(),
  };
}

/**
 * The network lab unless `--sandbox` or this machine cannot run it (then the fake sysfs
 * sandbox, saying why). A lab that can run but fails to come up fails the demo, and so
 * does `networkmanager` where the lab cannot run (the sandbox's apply is netplan's).
 */
export async function chooseMode(
  specs: Parameters<typeof startDemoLab>[0],
  o: { sandbox?: boolean; netplan: boolean; backend?: DemoBackend; progress: { step(text: string): void } },
): Promise<{ lab?: DemoLab; reason: string }> {
  const backend = o.backend ?? 'netplan';
  if (backend === 'networkmanager') {
    o.progress.step('starting the network lab: a namespace per node with a real NetworkManager (private D-Bus), the seed\'s NICs as hot-plugged veths');
    const lab = await startDemoLab(specs, backend);
    if (lab instanceof LabFallback) throw new DemoFailedError(`--backend networkmanager needs the network lab, which cannot run here (${lab.reason})`);
    o.progress.step(`mode: network lab ${lab.id}: nodes ${[...lab.nodes.values()].map((n) => n.netns).join(', ')} (primary ens3 by a foreign cloud-init keyfile; the real NetworkManager runs in each)`);
    return { lab, reason: `network lab ${lab.id}, NetworkManager` };
  }
  if (o.sandbox) {
    o.progress.step('mode: sandbox (--sandbox): NICs in a fake sysfs tree, a sandbox apply renames them; no kernel involved');
    return { reason: '--sandbox' };
  }
  if (!o.netplan) {
    // The agent's apply on a lab node reuses what its `netplan generate` wrote: without
    // netplan there is nothing for the node's networkd, and every change would roll back.
    const reason = 'netplan is not installed, and a lab node is configured by the real netplan';
    o.progress.step(`mode: sandbox, ${reason}: falling back to a fake sysfs tree and a sandbox apply`);
    return { reason: `network lab unavailable: ${reason}` };
  }
  o.progress.step('starting the network lab: a namespace per node with real systemd-networkd, the seed\'s NICs as hot-plugged veths');
  const lab = await startDemoLab(specs);
  if (lab instanceof LabFallback) {
    o.progress.step(`mode: sandbox, the network lab cannot run here (${lab.reason}): falling back to a fake sysfs tree and a sandbox apply`);
    return { reason: `network lab unavailable: ${lab.reason}` };
  }
  o.progress.step(`mode: network lab ${lab.id}: nodes ${[...lab.nodes.values()].map((n) => n.netns).join(', ')} (primary ens3 by a foreign 50-cloud-init.yaml; the real \`netplan apply\` runs in each)`);
  return { lab, reason: `network lab ${lab.id}` };
}

/** networkd configures a NIC shortly after `netplan apply` returns: wait (bounded) for the kernel to show every static address. */
export async function waitForKernel(lab: DemoLab, o: { progress: { step(text: string): void } }, timeoutMs: number): Promise<void> {
  const expected = SEED.interfaces.filter((i) => i.address !== null).map((i) => ({
    node: SEED.nodes[i.node]!.attached_node_name,
    mac: i.macaddress,
    address: `${i.address}/${SEED.subnets[i.subnet]!.cidr.split('/')[1]}`,
  }));
  const all = await lab.waitForAddresses(expected, timeoutMs);
  o.progress.step(all ? `the kernel shows all ${expected.length} static addresses (ip -j addr in each lab node)` : `the kernel does NOT show every static address after ${timeoutMs} ms: see the KERNEL columns`);
}

/** The entries of `env` named in `keys`. */
function pick<K extends string>(env: Record<K, string>, keys: readonly K[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, env[k]]));
}
