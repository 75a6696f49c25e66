/**
 * MultiNIC's real host side (NetplanHost: render, netplan generate, backup, apply, verify by
 * the kernel, roll back) serving one lab node, built from the node's agentEnv() through the
 * configuration loader as the agent's root does; and the event data the tests feed it.
 */
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import type { InterfaceEventData } from '../../src/events/types.js';
import { CommandFailedError, runCommand, type CommandRunner } from '../../src/host/command.js';
import type { Kernel } from '../../src/host/kernel.js';
import type { NetplanHost } from '../../src/host/netplan/host.js';
import { createHostFromConfig } from '../../src/roots/host.js';
import { createRingLogger } from '../../src/log/logger.js';
import type { LabNode } from './index.js';

/** How the host applies: the targeted path or the plain `netplan apply`. */
export type ApplyMethod = 'targeted' | 'apply';

/** A NetplanHost on a lab node, its kernel reader and its log. */
export interface LabHost {
  host: NetplanHost;
  kernel: Kernel;
  ring: ReturnType<typeof createRingLogger>;
  backupDir: string;
}

/** Failures injected around the real commands: the next `failApplies` apply steps (`netplan apply`, `networkctl reload`) exit 1 without running. */
export interface ApplyFaults {
  failApplies: number;
}

let hosts = 0;

/** Builds the host side for `node` with `method`, from the node's agent environment (backups in the node's folder). */
export async function labHost(node: LabNode, method: ApplyMethod, { verifyTimeout = '10s', faults = { failApplies: 0 } as ApplyFaults, env = {} as Record<string, string> } = {}): Promise<LabHost> {
  // Inside the node's folder, so Lab.stop removes it with the node.
  const backupDir = join(node.dir, `backups-${method}-${++hosts}`);
  const config = loadConfig({ env: { ...node.agentEnv(), NETPLAN_BACKUP_DIR: backupDir, NETPLAN_APPLY_METHOD: method, AGENT_VERIFY_TIMEOUT: verifyTimeout, AGENT_NIC_WAIT: '10s', ...env } });
  if (config.host.ipCommand.length === 0) throw new Error('lab: the node gave no IP_COMMAND');
  const ring = createRingLogger(`lab-${node.name}`, 2000);
  const run: CommandRunner = async (argv, opts) => {
    if (faults.failApplies > 0 && ['apply', 'reload'].includes(argv[argv.length - 1]!)) {
      faults.failApplies--;
      throw new CommandFailedError(argv, 1, null, 'injected by the lab test: apply failed');
    }
    return runCommand(argv, opts);
  };
  const { host, kernel } = createHostFromConfig(config, { log: ring.log, run });
  return { host, kernel: kernel!, ring, backupDir };
}

let generation = Date.now();

/** Event data of one port on `node` (subnet id/name derived from the CIDR; generation increasing). */
export function portData(node: LabNode, p: { portId: string; mac: string; cidr: string; address: string | null; mtu?: number | null }): InterfaceEventData {
  return {
    nodeName: node.name, portId: p.portId, macAddress: p.mac, subnetId: `subnet-${p.cidr}`, subnetName: `net-${p.cidr}`, networkId: 'net-lab',
    cidr: p.cidr, address: p.address, mtu: p.mtu ?? null, crNamespace: null, crName: null, generation: ++generation,
  };
}
