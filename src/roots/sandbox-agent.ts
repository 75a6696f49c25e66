import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Log } from '../log/logger.js';
import { prepareAgentSandbox, withFakeHotPlug, type AgentSandbox } from '../sandbox/agent-sandbox.js';
import { sandboxApplyArgv, sandboxApplyRunner } from '../sandbox/runner.js';
import { startAgent, type RunningAgent } from './agent.js';

/**
 * The configuration a sandboxed agent runs with, as dotted-path overrides (they win over
 * the file and the environment): netplan files, backups and the fake sysfs under the
 * sandbox, `multinic sandbox-apply` as the apply command (it renames fake NICs and never
 * runs netplan), no kernel to verify against (IP_COMMAND empty: the NICs are fake, so
 * only their names under the fake sysfs are checked and the apply is never targeted), and
 * Node patches logged instead of sent (kube.mode=log). The database,
 * broker and node name stay the caller's. `binPath` is the `multinic` script being run.
 */
export function sandboxOverrides(sb: AgentSandbox, binPath: string): Record<string, unknown> {
  return {
    'netplan.dir': sb.netplanDir,
    'netplan.backupDir': sb.backupDir,
    sysfsNetDir: sb.sysfsDir,
    'host.ipCommand': [],
    'netplan.applyCommand': sandboxApplyArgv(binPath, sb.netplanDir, sb.sysfsDir),
    'kube.mode': 'log',
  };
}

/**
 * `multinic agent --sandbox DIR`: the real agent (queue, handler, resync, database writes,
 * `netplan generate` validation when netplan is installed) on the sandbox's folders, with
 * sandbox-apply run in this process and each port's NIC plugged into the fake sysfs when
 * it is first configured. `config` must already carry {@link sandboxOverrides}.
 */
export async function startSandboxAgent(options: { config: Config; log: Log; registry: Registry; sandbox: AgentSandbox; signal?: AbortSignal }): Promise<RunningAgent> {
  const { sandbox, log } = options;
  await prepareAgentSandbox(sandbox);
  log.info({ sandbox: sandbox.dir, netplanDir: sandbox.netplanDir, sysfsDir: sandbox.sysfsDir }, 'sandbox agent: nothing outside the sandbox is changed; Node patches are logged, not sent');
  return startAgent({
    ...options,
    overrides: {
      run: sandboxApplyRunner({ netplanDir: sandbox.netplanDir, sysfsDir: sandbox.sysfsDir, log }),
      wrapHost: (host) => withFakeHotPlug(host, sandbox.sysfsDir, log),
    },
  });
}
