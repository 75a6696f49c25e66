import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAgent } from '../../src/roots/agent.js';
import { runCommand, type CommandRunner } from '../../src/host/command.js';
import type { Lab, LabNode } from '../lab/index.js';
import { AgentUnderTest, configFrom, type SandboxEnv } from './harness.js';

/** The apply steps of either path: `netplan apply`, or the targeted path's `networkctl reload`. */
const isApply = (argv: readonly string[]) => ['apply', 'reload'].includes(argv[argv.length - 1]!);

/**
 * One agent serving a lab node (test/lab): real NICs (veth ends with the MACs given, plugged
 * as ens4, ens5, …), the real netplan and systemd-networkd in the node, the node's
 * agentEnv() (files, sysfs, `ip`, `networkctl`, `netplan apply` in the node) and the default
 * apply method. Every apply step goes through a runner that counts it and, while
 * `failApplyWhile` names a MAC found in the netplan files, fails it as a broken apply would.
 */
export class LabAgent extends AgentUnderTest {
  private constructor(
    readonly kubeName: string,
    readonly node: LabNode,
    private readonly backupDir: string,
  ) {
    super();
  }

  get netplanDir(): string {
    return this.node.netplanDir;
  }

  static async start(lab: Lab, kubeName: string, env: SandboxEnv, macs: string[]): Promise<LabAgent> {
    const node = await lab.addNode({ name: kubeName });
    for (const mac of macs) await node.plug({ mac });
    const a = new LabAgent(kubeName, node, join(node.dir, 'backups'));
    const config = configFrom(env, {
      NODE_NAME: kubeName,
      ...node.agentEnv(),
      NETPLAN_BACKUP_DIR: a.backupDir,
      AGENT_NIC_WAIT: '3s',
      AGENT_MAX_RETRIES: '1',
      AGENT_RESYNC_INTERVAL: '10m',
    });
    const run: CommandRunner = async (argv, opts) => {
      if (isApply(argv)) await a.gateApply(argv);
      return runCommand(argv, opts);
    };
    a.agent = await startAgent({ config, log: a.ring.log, registry: a.registry, overrides: { run } });
    return a;
  }

  /** The kernel's view of the NIC with `mac` in the node: name, UP flag, MTU, global addresses. */
  async kernelOf(mac: string): Promise<{ name: string; up: boolean; mtu: number; addresses: string[] } | undefined> {
    const l = (await this.node.addr()).find((x) => x.address === mac);
    return l && { name: l.ifname, up: l.flags.includes('UP'), mtu: l.mtu, addresses: l.addr_info.filter((i) => i.scope === 'global').map((i) => `${i.local}/${i.prefixlen}`) };
  }

  /** networkd's files in the node (`/run/systemd/network`), concatenated: what it really runs. */
  async networkd(): Promise<string> {
    const dir = this.node.networkdRunDir;
    const names = await readdir(dir);
    return (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
  }

  async stop(): Promise<void> {
    await this.agent?.stop().catch(() => undefined);
  }
}
