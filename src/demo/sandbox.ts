import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeInterfaceState, NodePatcher } from '../model/ports.js';
import { startAgent, type RunningAgent } from '../roots/agent.js';
import { loadConfig, type Config } from '../config/index.js';
import { FakeSysfs } from '../sandbox/fake-sysfs.js';
import { sandboxApplyArgv, sandboxApplyRunner } from '../sandbox/runner.js';
import { createRegistry } from '../http/metrics.js';
import { createLoggingNodePatcher } from '../kube/node-patcher.js';
import { computeNodePatch, type NodePatch } from '../kube/patch.js';
import type { Log } from '../log/logger.js';

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
    // and '' (netplan not installed) must switch validation off.
    overrides: { 'netplan.generateCommand': services.generateCommand },
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
  netplanDir: string;
  sysfsDir: string;
  agent: RunningAgent;
}

/**
 * Starts one in-process agent for `node` in `<root>/<node>`: a fake sysfs tree holding
 * `macs` (as ens4, ens5, ...), its own netplan and backup dirs, the real
 * `multinic sandbox-apply` argv as NETPLAN_APPLY_COMMAND (run in-process by the runner),
 * no takeover guard addresses (the fake NICs have none), and the recording patcher.
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
}): Promise<DemoAgent> {
  const root = join(opts.root, opts.node);
  const netplanDir = join(root, 'etc', 'netplan');
  await mkdir(netplanDir, { recursive: true, mode: 0o700 });
  const sysfs = await FakeSysfs.create(opts.macs.map((mac, k) => ({ name: `ens${k + 4}`, mac })), root);
  const log = opts.log.child({ node: opts.node });
  const config = demoConfig(opts.services, {
    NODE_NAME: opts.node,
    NETPLAN_DIR: netplanDir,
    NETPLAN_BACKUP_DIR: join(root, 'backups'),
    SYSFS_NET_DIR: sysfs.root,
    NETPLAN_APPLY_COMMAND: JSON.stringify(sandboxApplyArgv(opts.binPath, netplanDir, sysfs.root)),
    // The sandbox is netplan's; detection would look at the machine's own NetworkManager.
    AGENT_BACKEND: 'netplan',
    AGENT_NIC_WAIT: '5s',
    AGENT_MAX_RETRIES: '2',
    AGENT_RESYNC_INTERVAL: '10m',
  });
  const agent = await startAgent({
    config,
    log,
    // A registry per agent: the metric names are per process, and here several agents share one.
    registry: createRegistry(),
    signal: opts.signal,
    overrides: {
      run: sandboxApplyRunner({ netplanDir, sysfsDir: sysfs.root, log }),
      addresses: async () => [],
      nodes: opts.nodes,
    },
  });
  return { node: opts.node, root, netplanDir, sysfsDir: sysfs.root, agent };
}
