import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors/errors.js';
import { ipAddressReader, type AddressReader } from '../host/addresses.js';
import type { CommandRunner } from '../host/command.js';
import type { BackendName } from '../host/detect-backend.js';
import { createIpKernel, netnsPrefixOf, type Kernel } from '../host/kernel.js';
import type { ManagedHost, ManagedHostDeps } from '../host/managed-host.js';
import { NetplanHost } from '../host/netplan/host.js';
import { NetworkManagerHost } from '../host/networkmanager/host.js';
import type { ProbeObserver } from '../host/probes.js';
import type { HostSafety } from '../host/safety.js';
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
  /** Told of every backend apply, timed alone (ManagedHostDeps.onApply); the agent's apply-duration metric. */
  onApply?: ManagedHostDeps['onApply'];
  /**
   * The Kubernetes API server as the agent reaches it (apiServerEndpoint): protected from
   * overlap and probed by `api-server`; none: neither.
   */
  apiServer?: { host: string; port: number };
  /** Receives every probe attempt (the agent's probe metrics). */
  probeObserver?: ProbeObserver;
}

/**
 * The overlap refusal and probe gate as the configuration describes them (AGENT_ALLOW_OVERLAP,
 * AGENT_PROBES, AGENT_PROBE_TIMEOUT); the probes enter the host's network namespace the way
 * IP_COMMAND does (netnsPrefixOf).
 */
function safetyFromConfig(config: Config, parts: HostParts, sleep: (ms: number) => Promise<void>): HostSafety {
  const { apiServer } = parts;
  return {
    allowOverlap: config.agent.allowOverlap,
    protect: apiServer ? [{ address: apiServer.host, what: 'the Kubernetes API server' }] : [],
    probes: {
      setup: { kinds: config.agent.probes, prefix: netnsPrefixOf(config.host.ipCommand), apiServer },
      timeoutMs: config.agent.probeTimeout,
      observer: parts.probeObserver,
    },
    sleep,
    now: () => Date.now(),
  };
}

/**
 * The node's InterfaceHost as the configuration describes it (netplan or NetworkManager
 * keys, IP_COMMAND, AGENT_VERIFY_TIMEOUT, the overlap refusal and probes, …), with the kernel
 * it verifies against. Used by the agent's root and by the lab tests, so both build the host
 * the same way.
 * @throws ConfigError for the NetworkManager backend without a kernel (empty IP_COMMAND):
 *   it renames NICs through the kernel, since NetworkManager never renames.
 */
export function createHostFromConfig(config: Config, parts: HostParts): { host: ManagedHost; kernel: Kernel | null } {
  const { log, backend = 'netplan' } = parts;
  const { ipCommand } = config.host;
  const sleep = parts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
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
    sleep,
    // Overlap refusal and probes read the kernel's snapshot: without a kernel (sandbox) they never run.
    safety: safetyFromConfig(config, parts, sleep),
    now: () => new Date(),
    onApply: parts.onApply,
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
