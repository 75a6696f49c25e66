import { HostError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';
import type { Kernel, KernelState } from './kernel.js';
import { interfaceMismatch, routeMismatch, staleStillPresent, type InterfaceExpectation, type StaleAddresses } from './kernel-check.js';

/** One check of the kernel after an apply. */
export interface KernelVerification {
  kernel: Kernel;
  /** The kernel before the change (KernelState of `kernel.read()`): the routes that must stay. */
  before: KernelState;
  /** What each configured interface must show. */
  expect: readonly InterfaceExpectation[];
  /** Addresses MultiNIC set before and no longer wants: deleted wherever they still are. */
  stale: readonly StaleAddresses[];
  /** Names (old and new) of the interfaces being changed: their routes may change, no other's may. */
  changed: readonly string[];
  /** Bounded wait for the kernel to settle (AGENT_VERIFY_TIMEOUT). */
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  log: Pick<Log, 'info' | 'warn' | 'debug'>;
  /** Poll interval; default 50 ms. */
  intervalMs?: number;
  /**
   * The backend's network daemon, asked before each read (HostBackend.unsettled): while it
   * names something it is still configuring, the kernel is not judged and nothing is deleted.
   * Absent, or once it throws (logged), the kernel alone judges.
   */
  unsettled?: () => Promise<string | null>;
}

/**
 * Deletes each stale address still on its NIC (`ip address del`, exactly what MultiNIC set
 * earlier): netplan's fallback path (systemd-networkd restarted) and some networkd versions
 * leave a removed address behind (MACHINE.md, "Observed in that lab"). A failed delete is
 * logged; the next read shows whether the address is still there. Returns how many it deleted.
 */
export async function deleteStaleAddresses(kernel: Kernel, state: KernelState, stale: readonly StaleAddresses[], log: Pick<Log, 'info' | 'warn'>): Promise<number> {
  let deleted = 0;
  for (const { ifname, cidr } of staleStillPresent(state, stale)) {
    try {
      await kernel.deleteAddress(ifname, cidr);
      log.info({ interface: ifname, address: cidr }, 'deleted an address MultiNIC had set and no longer wants');
      deleted++;
    } catch (err) {
      log.warn({ err, interface: ifname, address: cidr }, 'could not delete a stale MultiNIC address');
    }
  }
  return deleted;
}

/**
 * Waits (bounded) until the network daemon is done with the changed links (`unsettled`),
 * then until the kernel shows every expectation, no stale address and the other
 * interfaces' routes as they were; deletes stale addresses on the way. Resolves with the
 * state it accepted. @throws HostError (permanent) at once for what waiting cannot fix (a
 * default route or a captured route on a changed interface, DAD failed), or with the last
 * mismatch (or what the daemon is still doing) after `timeoutMs`.
 */
export async function verifyKernel(v: KernelVerification): Promise<KernelState> {
  const deadline = v.now() + v.timeoutMs;
  let ask = v.unsettled;
  for (;;) {
    let busy: string | null = null;
    try {
      busy = ask ? await ask() : null;
    } catch (err) {
      v.log.warn({ err }, 'cannot ask the network daemon whether it is done; judging by the kernel alone');
      ask = undefined;
    }
    if (busy !== null) {
      if (v.now() >= deadline) throw new HostError(`the kernel did not show the intended state within ${v.timeoutMs} ms after apply: ${busy}`);
      await v.sleep(v.intervalMs ?? 50);
      continue;
    }
    const state = await v.kernel.read();
    const problems = [routeMismatch(v.before.routes, state.routes, v.changed), ...v.expect.map((e) => interfaceMismatch(state, e))].filter((p) => p !== null);
    const hard = problems.find((p) => p.hard);
    if (hard) throw new HostError(`the kernel shows a wrong state after apply: ${hard.reason}`);
    const removed = await deleteStaleAddresses(v.kernel, state, v.stale, v.log);
    if (problems.length === 0 && removed === 0 && staleStillPresent(state, v.stale).length === 0) return state;
    // Just deleted something: read once more before judging (bounded, should someone re-add it).
    if (v.now() >= deadline + (removed > 0 ? 2000 : 0)) {
      const left = staleStillPresent(state, v.stale).map((s) => `${s.cidr} still on ${s.ifname}`);
      const reason = [...problems.map((p) => p.reason), ...left].join('; ') || 'stale addresses keep coming back';
      throw new HostError(`the kernel did not show the intended state within ${v.timeoutMs} ms after apply: ${reason}`);
    }
    await v.sleep(v.intervalMs ?? 50);
  }
}
