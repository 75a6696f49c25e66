import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors/errors.js';
import { ipAddressReader, type AddressReader } from '../host/addresses.js';
import type { CommandRunner } from '../host/command.js';
import type { BackendName } from '../host/detect-backend.js';
import { createIpKernel, type Kernel } from '../host/kernel.js';
import type { ManagedHost, ManagedHostDeps } from '../host/managed-host.js';
import { NetplanHost } from '../host/netplan/host.js';
import { NetworkManagerHost } from '../host/networkmanager/host.js';
import type { Log } from '../log/logger.js';

/** Parts a caller may replace; everything else comes from the configuration. */
export interface HostParts {
  log: Log;
  /** Which backend's host to build; default `netplan`. AGENT_BACKEND=auto is resolved before (createAgentHost). */
  backend?: BackendName;
  /** The host's kernel; default `ip` through IP_COMMAND, none when IP_COMMAND is empty. */
  kernel?: Kernel | null;
  /** The takeover guard's address reader; default `ip -j addr` through IP_COMMAND. */
  addresses?: AddressReader;
  /** Runs the backend's commands (apply, nmcli); default runCommand. */
  run?: CommandRunner;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The node's InterfaceHost as the configuration describes it (netplan or NetworkManager
 * keys, IP_COMMAND, AGENT_VERIFY_TIMEOUT, …), with the kernel it verifies against. Used by
 * the agent's root and by the lab tests, so both build the host the same way.
 * @throws ConfigError for the NetworkManager backend without a kernel (empty IP_COMMAND):
 *   it renames NICs through the kernel, since NetworkManager never renames.
 */
export function createHostFromConfig(config: Config, parts: HostParts): { host: ManagedHost; kernel: Kernel | null } {
  const { log, backend = 'netplan' } = parts;
  const { ipCommand } = config.host;
  const kernel = parts.kernel !== undefined ? parts.kernel : ipCommand.length > 0 ? createIpKernel({ ipCommand, log: log.child({ component: 'kernel' }) }) : null;
  const common: Omit<ManagedHostDeps, 'backupDir'> = {
    backupKeep: config.netplan.backupKeep,
    sysfsNetDir: config.sysfsNetDir,
    nicWaitMs: config.agent.nicWait,
    verifyTimeoutMs: config.agent.verifyTimeout,
    allowTakeover: config.agent.allowTakeover,
    addresses: parts.addresses ?? ipAddressReader({ log, ...(ipCommand.length > 0 && { ipCommand }) }),
    kernel,
    log: log.child({ component: 'host', backend }),
    sleep: parts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    now: () => new Date(),
  };
  if (backend === 'networkmanager') {
    if (kernel === null) throw new ConfigError('IP_COMMAND', 'the NetworkManager backend needs the host\'s kernel: IP_COMMAND must not be empty (NetworkManager never renames a NIC; MultiNIC does it with ip)');
    const nm = config.networkManager;
    const host = new NetworkManagerHost({
      ...common,
      kernel,
      backupDir: nm.backupDir,
      connectionsDir: nm.connectionsDir,
      ifcfgDir: nm.ifcfgDir,
      linkDir: nm.linkDir,
      nmcliCommand: nm.nmcliCommand,
      applyTimeoutMs: nm.applyTimeout,
      run: parts.run,
    });
    return { host, kernel };
  }
  const host = new NetplanHost({
    ...common,
    backupDir: config.netplan.backupDir,
    netplanDir: config.netplan.dir,
    applyCommand: config.netplan.applyCommand,
    applyTimeoutMs: config.netplan.applyTimeout,
    applyMethod: config.netplan.applyMethod,
    networkdRunDir: config.netplan.networkdRunDir,
    networkctlCommand: config.netplan.networkctlCommand,
    generateCommand: config.netplan.generateCommand,
    run: parts.run,
  });
  return { host, kernel };
}
