import type { Log } from '../log/logger.js';
import type { ConfiguredInterface } from '../model/ports.js';
import type { Kernel, KernelState } from './kernel.js';
import { assertNoOverlap } from './overlap.js';
import { buildProbes, probesAfter, probesBefore, type ProbeObserver, type ProbeSetup } from './probes.js';

/**
 * The checks of "Safety on a shared host" (docs/DESIGN.md) that read the node's kernel
 * besides its verification: the overlap refusal before a change and the probe gate around
 * its apply. Backend-neutral: ManagedHost runs them for netplan and NetworkManager alike,
 * on the kernel snapshot it takes before each change (src/host/kernel.ts, IP_COMMAND).
 * Without a kernel (a sandbox whose NICs live in a fake sysfs) there is no snapshot and
 * ManagedHost skips both.
 */
export interface HostSafety {
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

/** Refuses (OverlapError) a port whose subnet would capture traffic of the node in `kernel`; see overlap.ts. */
export function checkOverlap(
  safety: HostSafety | undefined,
  kernel: KernelState | undefined,
  input: { portId: string; cidr: string; nicNames: string[]; ownedNames: string[]; others: ConfiguredInterface[] },
): void {
  if (!safety || !kernel || safety.allowOverlap) return;
  assertNoOverlap({ ...input, kernel, protect: safety.protect });
}

/**
 * Runs the probes before a change (built from `before`, the kernel snapshot) and returns
 * the check to run after its apply (inside the transaction's verify, so a failure rolls
 * back). `ownNames`: the NIC changed and MultiNIC's interfaces, whose routes may change by design.
 */
export async function probeGate(
  safety: HostSafety | undefined,
  kernel: Kernel | null,
  before: KernelState | undefined,
  ownNames: readonly string[],
  log: Log,
): Promise<() => Promise<void>> {
  if (!safety?.probes || safety.probes.setup.kinds.length === 0 || !kernel || !before) return async () => undefined;
  const { setup, timeoutMs, observer } = safety.probes;
  const options = { timeoutMs, sleep: safety.sleep, now: safety.now, observer, log };
  const probes = buildProbes({ ...setup, kernel, log }, ownNames, before.routes);
  const passed = await probesBefore(probes, options);
  return () => probesAfter(passed, options);
}
