/**
 * MultiNIC's real host code (NetplanHost: netplan generate, the real `netplan apply`, the
 * overlap refusal, ownership check and probe gate) pointed into a lab node, as an agent with
 * `hostNetwork` would see it: sysfs of the node, `ip`/`ping`/the API-server probe run in the
 * node through its nsenter prefix (AGENT_HOST_NET_COMMAND), files in its /etc/netplan.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipAddressReader } from '../../../src/host/addresses.js';
import { runCommand, type CommandRunner } from '../../../src/host/command.js';
import { ipKernelReader } from '../../../src/host/kernel-ip.js';
import { NetplanHost } from '../../../src/host/netplan/host.js';
import type { ProbeKind } from '../../../src/host/probes.js';
import type { HostSafety } from '../../../src/host/safety.js';
import { createRingLogger } from '../../../src/log/logger.js';
import type { InterfaceEventData } from '../../../src/events/types.js';
import type { LabNode } from '../index.js';

/** What a lab test may vary; everything else is the agent's default. */
export interface LabHostOptions {
  allowOverlap?: boolean;
  probes?: ProbeKind[];
  probeTimeoutMs?: number;
  apiServer?: { host: string; port: number };
  /** Probe results, as the metrics see them. */
  onProbe?: (e: { kind: string; phase: string; ok: boolean; seconds: number }) => void;
  /** No kernel checks at all (a host built as before issue 11), for comparisons. */
  withoutSafety?: boolean;
}

export interface LabHost {
  host: NetplanHost;
  records: () => Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A NetplanHost on `node` with the safety checks reading the node's kernel. */
export async function labHost(node: LabNode, o: LabHostOptions = {}): Promise<LabHost> {
  const scratch = await mkdtemp(join(tmpdir(), 'sf-host-'));
  const { log, records } = createRingLogger('sf-lab');
  const prefix = node.enterCommand;
  const inNode: CommandRunner = (argv, opts) => runCommand([...prefix, ...argv], opts);
  const safety: HostSafety = {
    kernel: ipKernelReader({ prefix, log }),
    allowOverlap: o.allowOverlap ?? false,
    protect: o.apiServer ? [{ address: o.apiServer.host, what: 'the Kubernetes API server' }] : [],
    probes: {
      setup: { kinds: o.probes ?? ['gateway', 'routes'], prefix, apiServer: o.apiServer },
      timeoutMs: o.probeTimeoutMs ?? 3000,
      observer: { result: (e) => o.onProbe?.(e) },
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
  };
  const host = new NetplanHost({
    netplanDir: node.netplanDir,
    backupDir: join(scratch, 'backups'),
    backupKeep: 5,
    sysfsNetDir: node.sysfsNetDir,
    applyCommand: node.applyCommand,
    applyTimeoutMs: 60_000,
    generateCommand: 'netplan',
    tmpDir: scratch,
    nicWaitMs: 3000,
    verifyTimeoutMs: 5000,
    allowTakeover: false,
    addresses: ipAddressReader({ log, run: inNode }),
    log,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => new Date(),
    safety: o.withoutSafety ? undefined : safety,
  });
  return { host, records, close: () => rm(scratch, { recursive: true, force: true }) };
}

let ports = 0;
/** Event data for one port of `node` (a new port id each call). */
export function port(mac: string, cidr: string, address: string | null, over: Partial<InterfaceEventData> = {}): InterfaceEventData {
  return {
    nodeName: 'worker-1', portId: `sf-port-${++ports}`, macAddress: mac, subnetId: `subnet-${cidr}`, subnetName: 'data', networkId: 'net-data',
    cidr, address, mtu: null, crNamespace: null, crName: null, generation: Date.UTC(2026, 10, 30) + ports, ...over,
  };
}

/** Every file of a netplan folder with its exact bytes. */
export async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of (await readdir(dir)).sort()) out.set(f, await readFile(join(dir, f)));
  return out;
}

/** The rejection of `p`, or a failure when it resolved. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    (v) => { throw new Error(`expected a refusal, got ${JSON.stringify(v)}`); },
    (e: Error) => e,
  );
}
