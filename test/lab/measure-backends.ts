/**
 * Measures, in the lab, what one agent host operation costs on each backend, end to end as
 * the agent runs it (ManagedHost: find the NIC, validate with the backend's own tool, back
 * up, write, apply, verify the name), and what else it disturbs; prints Markdown (the
 * table in README's NetworkManager section comes from it):
 *
 *     npx tsx test/lab/measure-backends.ts [RUNS]    # root; default 10
 *
 * - netplan: NetplanHost on a systemd-networkd node (`netplan generate` validation, the
 *   real `netplan apply` in the node);
 * - NetworkManager: NetworkManagerHost on a NetworkManager 1.42 node (`nmcli --offline`
 *   validation, claims read, rename, `nmcli connection reload`, `up` / `reapply`).
 * Each backend gets a fresh node that receives RUNS NICs one after another (IPv4 + MTU 9000),
 * then loses them one by one. Per operation: the backend's apply alone (`netplan apply`;
 * the NetworkManager sequence); the host call's wall time; the time until the
 * kernel shows the result (address and MTU / no address); `ip monitor` events on links other
 * than the one changed, from the call's start until no address is tentative.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipAddressReader } from '../../src/host/addresses.js';
import { runCommand, type CommandRunner } from '../../src/host/command.js';
import { createIpKernel } from '../../src/host/kernel.js';
import type { HostBackend } from '../../src/host/backend.js';
import { ManagedHost } from '../../src/host/managed-host.js';
import { createNetplanBackend } from '../../src/host/netplan/backend.js';
import { createNetworkManagerBackend } from '../../src/host/networkmanager/backend.js';
import { createRingLogger } from '../../src/log/logger.js';
import { interfaceData } from '../helpers/builders.js';
import { Lab, cidrsOf, pollUntil, run, type LabNode } from './index.js';
import { percentile } from './stats.js';

type Backend = 'netplan' | 'networkmanager';
interface Sample { hostMs: number; applyMs: number; kernelMs: number; otherEvents: number }

/** The backend with its `apply` timed: the part of a host operation that is the backend's own apply. */
function timed(backend: HostBackend, applies: number[]): HostBackend {
  return {
    ...backend,
    apply: async (log) => {
      const t0 = performance.now();
      try {
        await backend.apply(log);
      } finally {
        applies.push(performance.now() - t0);
      }
    },
  };
}

function hostFor(backend: Backend, node: LabNode, scratch: string, applies: number[]): ManagedHost {
  const { log } = createRingLogger('measure', 10);
  const inNode: CommandRunner = (argv, opts) => runCommand([...node.enterCommand, ...argv], opts);
  const kernel = createIpKernel({ ipCommand: [...node.enterCommand, 'ip'], log });
  const common = {
    kernel, backupDir: join(scratch, 'backups'), backupKeep: 20, sysfsNetDir: node.sysfsNetDir, nicWaitMs: 10_000, allowTakeover: false,
    addresses: ipAddressReader({ log, run: inNode }), log, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), now: () => new Date(),
  };
  const b = backend === 'netplan'
    ? createNetplanBackend({ netplanDir: node.netplanDir, applyCommand: node.applyCommand, applyTimeoutMs: 60_000, generateCommand: 'netplan', tmpDir: scratch, kernel })
    : createNetworkManagerBackend({ connectionsDir: node.nmConnectionsDir, ifcfgDir: join(scratch, 'ifcfg'), linkDir: scratch, nmcliCommand: node.nmcliCommand, kernel, applyTimeoutMs: 30_000, sysfsNetDir: node.sysfsNetDir, log });
  return new ManagedHost(common, timed(b, applies));
}

async function sample(node: LabNode, name: string, applies: number[], change: () => Promise<unknown>, shown: () => Promise<boolean>): Promise<Sample> {
  await node.settled();
  const before = applies.length;
  const mon = await node.monitor();
  const t0 = performance.now();
  await change();
  const hostMs = performance.now() - t0;
  await pollUntil(`${name} as intended`, shown, { timeoutMs: 15_000, intervalMs: 5 });
  const kernelMs = performance.now() - t0;
  await node.settled();
  await mon.stop();
  return { hostMs, applyMs: applies.slice(before).reduce((a, x) => a + x, 0), kernelMs, otherEvents: mon.events({ excluding: [name] }).length };
}

async function measure(backend: Backend, node: LabNode, runs: number, scratch: string): Promise<{ attach: Sample[]; detach: Sample[] }> {
  const applies: number[] = [];
  const host = hostFor(backend, node, scratch, applies);
  const attach: Sample[] = [];
  const detach: Sample[] = [];
  const ports = [];
  for (let i = 0; i < runs; i += 1) {
    const data = interfaceData({ macAddress: `fa:16:3e:b0:00:${i.toString(16).padStart(2, '0')}`, cidr: `10.20.${i}.0/24`, address: `10.20.${i}.11`, mtu: 9000 });
    await node.plug({ mac: data.macAddress });
    const name = `multinic${i}`;
    attach.push(await sample(node, name, applies, () => host.configure(data, '/multinic/measure'), async () => {
      const l = await node.addrOf(name);
      return cidrsOf(l, { family: 'inet' }).includes(`10.20.${i}.11/24`) && l?.mtu === 9000;
    }));
    ports.push({ portId: data.portId, name });
  }
  for (const p of ports) {
    detach.push(await sample(node, p.name, applies, () => host.remove(p.portId), async () => cidrsOf(await node.addrOf(p.name), { family: 'inet' }).length === 0));
  }
  return { attach, detach };
}

const f = (n: number) => Math.round(n);
function row(backend: string, what: string, s: Sample[]): string {
  const p = (pick: (x: Sample) => number) => `${f(percentile(s.map(pick), 50))} / ${f(percentile(s.map(pick), 99))}`;
  return `| ${backend} | ${what} | ${s.length} | ${p((x) => x.applyMs)} | ${p((x) => x.hostMs)} | ${p((x) => x.kernelMs)} | ${s.reduce((a, x) => a + x.otherEvents, 0)} |`;
}

const version = async (argv: string[]) => (await run(argv, { check: false })).stdout.split('\n')[0]!.trim();
const runs = Number(process.argv[2] ?? 10);
const lab = await Lab.start({ tag: 'nm' });
const scratch = await mkdtemp(join(tmpdir(), 'nm-measure-'));
try {
  console.log(`netplan.io ${await version(['dpkg-query', '-W', '-f', '${Version}', 'netplan.io'])}, NetworkManager ${await version(['NetworkManager', '--version'])}, kernel ${await version(['uname', '-r'])}; ${runs} NICs per backend`);
  console.log(`load average before: ${await version(['cat', '/proc/loadavg'])} (${await version(['nproc'])} CPUs)\n`);
  console.log('| backend | operation | n | apply ms p50 / p99 | host call ms p50 / p99 | until kernel shows it, ms p50 / p99 | events on other links |');
  console.log('|---|---|---|---|---|---|---|');
  for (const backend of ['netplan', 'networkmanager'] as const) {
    const node = await lab.addNode({ name: backend === 'netplan' ? 'np' : 'nm', backend: backend === 'netplan' ? 'networkd' : 'networkmanager' });
    const dir = await mkdtemp(join(scratch, `${backend}-`));
    const { attach, detach } = await measure(backend, node, runs, dir);
    console.log(row(backend, 'attach', attach));
    console.log(row(backend, 'detach', detach));
  }
} finally {
  await lab.stop();
  await rm(scratch, { recursive: true, force: true });
}
