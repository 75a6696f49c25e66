import type { Config } from '../config/schema.js';
import { ipAddressReader, type AddressReader } from '../host/addresses.js';
import type { CommandRunner } from '../host/command.js';
import { createIpKernel, type Kernel } from '../host/kernel.js';
import type { ManagedHostDeps } from '../host/managed-host.js';
import { NetplanHost } from '../host/netplan/host.js';
import type { Log } from '../log/logger.js';

/** Parts a caller may replace; everything else comes from the configuration. */
export interface HostParts {
  log: Log;
  /** The host's kernel; default `ip` through IP_COMMAND, none when IP_COMMAND is empty. */
  kernel?: Kernel | null;
  /** The takeover guard's address reader; default `ip -j addr` through IP_COMMAND. */
  addresses?: AddressReader;
  /** Runs the apply command; default runCommand. */
  run?: CommandRunner;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every backend apply, timed alone (ManagedHostDeps.onApply); the agent's apply-duration metric. */
  onApply?: ManagedHostDeps['onApply'];
}

/**
 * The node's InterfaceHost as the configuration describes it (netplan keys, IP_COMMAND,
 * AGENT_VERIFY_TIMEOUT, …), with the kernel it verifies against. Used by the agent's root
 * and by the lab tests, so both build the host the same way.
 */
export function createHostFromConfig(config: Config, parts: HostParts): { host: NetplanHost; kernel: Kernel | null } {
  const { log } = parts;
  const { ipCommand } = config.host;
  const kernel = parts.kernel !== undefined ? parts.kernel : ipCommand.length > 0 ? createIpKernel({ ipCommand, log: log.child({ component: 'kernel' }) }) : null;
  const host = new NetplanHost({
    netplanDir: config.netplan.dir,
    backupDir: config.netplan.backupDir,
    backupKeep: config.netplan.backupKeep,
    sysfsNetDir: config.sysfsNetDir,
    applyCommand: config.netplan.applyCommand,
    applyTimeoutMs: config.netplan.applyTimeout,
    applyMethod: config.netplan.applyMethod,
    networkdRunDir: config.netplan.networkdRunDir,
    networkctlCommand: config.netplan.networkctlCommand,
    generateCommand: config.netplan.generateCommand,
    nicWaitMs: config.agent.nicWait,
    verifyTimeoutMs: config.agent.verifyTimeout,
    allowTakeover: config.agent.allowTakeover,
    addresses: parts.addresses ?? ipAddressReader({ log, ...(ipCommand.length > 0 && { ipCommand }) }),
    kernel,
    log: log.child({ component: 'host' }),
    sleep: parts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    now: () => new Date(),
    run: parts.run,
    onApply: parts.onApply,
  });
  return { host, kernel };
}
