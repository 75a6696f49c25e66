import type { Config } from '../config/schema.js';
import { runCommand } from '../host/command.js';
import { chooseBackend, type BackendChoice } from '../host/detect-backend.js';
import type { InterfaceHost } from '../model/ports.js';
import { createHostFromConfig, type HostParts } from './host.js';

/** The agent's host and the backend behind it. */
export interface AgentHost {
  host: InterfaceHost;
  choice: BackendChoice;
}

/**
 * Chooses the node's backend (AGENT_BACKEND, or detection: chooseBackend), logs the choice
 * with its reason once, and builds that backend's InterfaceHost from the configuration
 * (createHostFromConfig). `parts.run` replaces the backend's command runner (tests count or
 * fail applies through it); detection always runs the real `nmcli`.
 */
export async function createAgentHost(config: Config, parts: Omit<HostParts, 'backend'>): Promise<AgentHost> {
  const { log } = parts;
  const choice = await chooseBackend(config.agent.backend, {
    netplanDir: config.netplan.dir,
    nmcliCommand: config.networkManager.nmcliCommand,
    // Always the real runner: an injected one stands in for applies, which detection is not.
    run: runCommand,
    timeoutMs: config.networkManager.applyTimeout,
    log,
  });
  log.info({ backend: choice.backend, reason: choice.reason }, 'host backend chosen');
  return { host: createHostFromConfig(config, { ...parts, backend: choice.backend }).host, choice };
}
