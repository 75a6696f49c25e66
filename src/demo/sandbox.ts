import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeInterfaceState, NodePatcher } from '../model/ports.js';
import { startAgent, type RunningAgent } from '../roots/agent.js';
import { loadConfig, type Config } from '../config/index.js';
import { FakeSysfs } from '../sandbox/fake-sysfs.js';
import { sandboxApplyArgv, sandboxApplyRunner } from '../sandbox/runner.js';
import { createRegistry } from '../http/metrics.js';
import { createLoggingNodePatcher } from '../kube/node-patcher.js';
import type { AddressReader } from '../host/addresses.js';
import type { CommandRunner } from '../host/command.js';
import { computeNodePatch, type NodePatch } from '../kube/patch.js';
import type { Log } from '../log/logger.js';

/** The host backends the demo can run a node on (`--backend`). */
export type DemoBackend = 'netplan' | 'networkmanager';

/** Where the demo's roles connect: its own database and vhost. */
export interface DemoServices {
  db: Config['db'];
  amqpUrl: string;
  /** `netplan` for real validation, '' to skip it (netplan not installed). */
  generateCommand: string;
}

/** Builds a Config the way the deployment does, from environment-style keys only. */
export function demoConfig(services: DemoServices, extra: Record<string, string>): Config {
  return loadConfig({
    env: {
      DB_HOST: services.db.host,
      DB_PORT: String(services.db.port),
      DB_USER: services.db.user,
      DB_PASSWORD: services.db.password,
      DB_NAME: services.db.name,
      ...(services.db.socketPath ? { DB_SOCKET: services.db.socketPath } : {}),
      AMQP_URL: services.amqpUrl,
      KUBE_MODE: 'log',
      ...extra,
    },
    // An override, not NETPLAN_GENERATE_COMMAND: the loader reads an empty variable as unset,
    // and '' (netplan not installed) must switch validation off. A lab node names its own
    // generate (netplan plus the veth MAC-match fix), which the targeted apply copies into
    // the node: that one must win, or networkd there would not match the NIC.
    // Without netplan on this machine's PATH the lab's generate cannot run either (it calls
    // netplan): validation is off, and the targeted apply falls back to the node's own apply.
    overrides: extra.NETPLAN_GENERATE_COMMAND && services.generateCommand !== '' ? {} : { 'netplan.generateCommand': services.generateCommand },
  });
}

/**
 * KUBE_MODE=log, plus a memory of the last patch per node: the demo shows the labels
 * and one whole patch exactly as the agent would have sent them.
 */
export function recordingPatcher(log: Log, onPatch: (node: string, patch: NodePatch) => void): NodePatcher {
  const logging = createLoggingNodePatcher(log);
  return {
    async patchInterfaces(node: string, state: NodeInterfaceState) {
      await logging.patchInterfaces(node, state);
      onPatch(node, computeNodePatch(state));
    },
  };
}

/** One agent in its sandbox root, as the demo holds it. */
export interface DemoAgent {
  node: string;
  root: string;
  /** The node's host backend (AgentPlace.backend). */
  backend: DemoBackend;
  /** Where its owned files are: the netplan folder, or NetworkManager's keyfile folder. */
  filesDir: string;
  netplanDir: string;
  sysfsDir: string;
  agent: RunningAgent;
}

/**
 * Where an agent acts on its node: the netplan folder, the sysfs view of the NICs, the apply
 * argv, and (for in-process stand-ins) the runner and address reader to use. The demo builds
 * one per node: a fake sysfs sandbox, or a node of the network lab (src/demo/lab.ts).
 */
export interface AgentPlace {
  /** The node's host backend; default `netplan` (the fake sysfs sandbox is netplan's). */
  backend?: DemoBackend;
  /** NetworkManager only: the node's keyfile folder (NM_CONNECTIONS_DIR, also in `hostEnv`). */
  connectionsDir?: string;
  netplanDir: string;
  sysfsDir: string;
  /** NETPLAN_APPLY_COMMAND. */
  applyCommand: readonly string[];
  /** Runs the apply command; default the real runner (a child process, no shell). */
  run?: CommandRunner;
  /** The takeover guard's reader of a NIC's addresses. */
  addresses: AddressReader;
  /**
   * The host settings that say where the node's kernel and networkd are: IP_COMMAND ('' for
   * fake NICs, which have no kernel to read or verify), and for a lab node NETWORKCTL_COMMAND,
   * NETWORKD_RUN_DIR and NETPLAN_GENERATE_COMMAND pointing into the node, so that nothing
   * the agent runs or writes reaches this machine's own network.
   */
  hostEnv: Record<string, string>;
}

/**
 * The sandbox place of `node` in `<root>`: a fake sysfs tree holding `macs` (as ens4, ens5,
 * ...), its own netplan folder, the real `multinic sandbox-apply` argv as
 * NETPLAN_APPLY_COMMAND (run in-process by the runner), no takeover guard addresses (the
 * fake NICs have none).
 */
export async function fakePlace(opts: { macs: readonly string[]; root: string; binPath: string; log: Log }): Promise<AgentPlace> {
  const netplanDir = join(opts.root, 'etc', 'netplan');
  await mkdir(netplanDir, { recursive: true, mode: 0o700 });
  const sysfs = await FakeSysfs.create(opts.macs.map((mac, k) => ({ name: `ens${k + 4}`, mac })), opts.root);
  return {
    netplanDir,
    sysfsDir: sysfs.root,
    applyCommand: sandboxApplyArgv(opts.binPath, netplanDir, sysfs.root),
    run: sandboxApplyRunner({ netplanDir, sysfsDir: sysfs.root, log: opts.log }),
    addresses: async () => [],
    hostEnv: { IP_COMMAND: '' },
  };
}

/**
 * Starts one in-process agent for `node`, its backups under `<root>/<node>`: in a fake sysfs
 * sandbox holding `macs` ({@link fakePlace}) unless `place` says where else (a lab node),
 * with the recording patcher.
 */
export async function startDemoAgent(opts: {
  node: string;
  macs: readonly string[];
  root: string;
  services: DemoServices;
  binPath: string;
  log: Log;
  nodes: NodePatcher;
  signal?: AbortSignal;
  place?: AgentPlace;
}): Promise<DemoAgent> {
  const root = join(opts.root, opts.node);
  const log = opts.log.child({ node: opts.node });
  const place = opts.place ?? (await fakePlace({ macs: opts.macs, root, binPath: opts.binPath, log }));
  const { netplanDir, sysfsDir } = place;
  const config = demoConfig(opts.services, {
    NODE_NAME: opts.node,
    NETPLAN_DIR: netplanDir,
    NETPLAN_BACKUP_DIR: join(root, 'backups'),
    NM_BACKUP_DIR: join(root, 'backups'),
    SYSFS_NET_DIR: sysfsDir,
    NETPLAN_APPLY_COMMAND: JSON.stringify(place.applyCommand),
    // The place says its backend; auto would look at the machine's own NetworkManager.
    AGENT_BACKEND: place.backend ?? 'netplan',
    AGENT_NIC_WAIT: '5s',
    AGENT_MAX_RETRIES: '2',
    AGENT_RESYNC_INTERVAL: '10m',
    ...place.hostEnv,
  });
  const agent = await startAgent({
    config,
    log,
    // A registry per agent: the metric names are per process, and here several agents share one.
    registry: createRegistry(),
    signal: opts.signal,
    overrides: {
      ...(place.run ? { run: place.run } : {}),
      addresses: place.addresses,
      nodes: opts.nodes,
    },
  });
  const backend = place.backend ?? 'netplan';
  return { node: opts.node, root, backend, filesDir: backend === 'networkmanager' ? place.connectionsDir! : netplanDir, netplanDir, sysfsDir, agent };
}
