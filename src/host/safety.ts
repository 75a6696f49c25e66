import type { Log } from '../log/logger.js';
import type { KernelReader } from '../model/kernel.js';
import type { ConfiguredInterface } from '../model/ports.js';
import { assertNoOverlap } from './overlap.js';
import { buildProbes, probesAfter, probesBefore, type ProbeObserver, type ProbeSetup } from './probes.js';

/**
 * The checks of "Safety on a shared host" (docs/DESIGN.md) that read the node's kernel:
 * overlap refusal before a change and the probe gate around its apply. Backend-neutral:
 * ManagedHost runs them for netplan and NetworkManager alike. Absent (a sandbox whose NICs
 * live in a fake sysfs and have no kernel state), ManagedHost skips both.
 */
export interface HostSafety {
  kernel: KernelReader;
  /** `agent.allowOverlap` (AGENT_ALLOW_OVERLAP, default false): skip the overlap refusal. */
  allowOverlap: boolean;
  /** Addresses a port's subnet must never contain besides the default gateways (the API server's). */
  protect: ReadonlyArray<{ address: string; what: string }>;
  /** The probes (`agent.probes`, none when empty) and their timing; absent: no probe gate. */
  probes?: {
    setup: Omit<ProbeSetup, 'kernel' | 'log'>;
    /** `agent.probeTimeout` (AGENT_PROBE_TIMEOUT, default 5 s). */
    timeoutMs: number;
    observer?: ProbeObserver;
  };
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** Refuses (OverlapError) a port whose subnet would capture traffic of the node; see overlap.ts. */
export async function checkOverlap(
  safety: HostSafety | undefined,
  input: { portId: string; cidr: string; nicNames: string[]; ownedNames: string[]; others: ConfiguredInterface[] },
): Promise<void> {
  if (!safety || safety.allowOverlap) return;
  const [addresses, routes] = await Promise.all([safety.kernel.addresses(), safety.kernel.routes()]);
  assertNoOverlap({ ...input, addresses, routes, protect: safety.protect });
}

/**
 * Runs the probes before a change and returns the check to run after its apply (inside
 * the transaction's verify, so a failure rolls back). `ownNames`: the NIC changed and
 * MultiNIC's interfaces, whose routes may change by design.
 */
export async function probeGate(safety: HostSafety | undefined, ownNames: readonly string[], log: Log): Promise<() => Promise<void>> {
  if (!safety?.probes || safety.probes.setup.kinds.length === 0) return async () => undefined;
  const { setup, timeoutMs, observer } = safety.probes;
  const options = { timeoutMs, sleep: safety.sleep, now: safety.now, observer, log };
  const probes = await buildProbes({ ...setup, kernel: safety.kernel, log }, ownNames);
  const passed = await probesBefore(probes, options);
  return () => probesAfter(passed, options);
}
