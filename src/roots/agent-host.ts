import type { Config } from '../config/schema.js';
import type { AddressReader } from '../host/addresses.js';
import { runCommand, type CommandRunner } from '../host/command.js';
import { chooseBackend, type BackendChoice } from '../host/detect-backend.js';
import type { ManagedHostDeps } from '../host/managed-host.js';
import { NetplanHost } from '../host/netplan/host.js';
import { NetworkManagerHost } from '../host/networkmanager/host.js';
import type { Log } from '../log/logger.js';
import type { InterfaceHost } from '../model/ports.js';

/** The agent's host and the backend behind it. */
export interface AgentHost {
  host: InterfaceHost;
  choice: BackendChoice;
}

/**
 * Chooses the node's backend (AGENT_BACKEND, or detection: chooseBackend), logs the choice
 * with its reason once, and builds that backend's InterfaceHost from the configuration.
 * `run` replaces the backend's command runner (tests count or fail applies through it);
 * detection always runs the real `nmcli`.
 */
export async function createAgentHost(config: Config, deps: { addresses: AddressReader; log: Log; run?: CommandRunner; sleep: (ms: number) => Promise<void> }): Promise<AgentHost> {
  const { log } = deps;
  const nm = config.networkManager;
  const choice = await chooseBackend(config.agent.backend, {
    netplanDir: config.netplan.dir,
    nmcliCommand: nm.nmcliCommand,
    // Always the real runner: an injected one stands in for applies, which detection is not.
    run: runCommand,
    timeoutMs: nm.applyTimeout,
    log,
  });
  log.info({ backend: choice.backend, reason: choice.reason }, 'host backend chosen');
  const common: Omit<ManagedHostDeps, 'backupDir'> = {
    backupKeep: config.netplan.backupKeep,
    sysfsNetDir: config.sysfsNetDir,
    nicWaitMs: config.agent.nicWait,
    allowTakeover: config.agent.allowTakeover,
    addresses: deps.addresses,
    log: log.child({ component: 'host', backend: choice.backend }),
    sleep: deps.sleep,
    now: () => new Date(),
  };
  const host =
    choice.backend === 'networkmanager'
      ? new NetworkManagerHost({
          ...common,
          backupDir: nm.backupDir,
          connectionsDir: nm.connectionsDir,
          ifcfgDir: nm.ifcfgDir,
          linkDir: nm.linkDir,
          nmcliCommand: nm.nmcliCommand,
          ipCommand: nm.ipCommand,
          applyTimeoutMs: nm.applyTimeout,
          run: deps.run,
        })
      : new NetplanHost({
          ...common,
          backupDir: config.netplan.backupDir,
          netplanDir: config.netplan.dir,
          applyCommand: config.netplan.applyCommand,
          applyTimeoutMs: config.netplan.applyTimeout,
          generateCommand: config.netplan.generateCommand,
          run: deps.run,
        });
  return { host, choice };
}
