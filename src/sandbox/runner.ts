import type { Log } from '../log/logger.js';
import { runCommand, type CommandRunner } from '../host/command.js';
import { sandboxApply } from './apply.js';

/** Where one sandbox agent's apply acts. */
export interface SandboxRunnerOptions {
  netplanDir: string;
  /** The FAKE sysfs tree sandbox-apply renames NICs in. */
  sysfsDir: string;
  log: Pick<Log, 'info' | 'warn'>;
  /** Called before each apply; throwing fails the apply (tests simulate a broken apply). */
  beforeApply?: (argv: readonly string[]) => Promise<void> | void;
}

/**
 * The CommandRunner of an in-process sandbox agent: a `multinic sandbox-apply` argv
 * (NETPLAN_APPLY_COMMAND in tests and the demo, so the configuration shows the real
 * command) runs in this process instead of a child, saving a CLI start-up per apply;
 * any other argv (`netplan generate`) runs for real.
 */
export function sandboxApplyRunner({ netplanDir, sysfsDir, log, beforeApply }: SandboxRunnerOptions): CommandRunner {
  return async (argv, opts) => {
    if (!argv.includes('sandbox-apply')) return runCommand(argv, opts);
    const started = Date.now();
    await beforeApply?.(argv);
    await sandboxApply({ netplanDir, sysfsDir, log });
    return { stdout: '', stderr: '', durationMs: Date.now() - started };
  };
}

/** The `sandbox-apply` argv for NETPLAN_APPLY_COMMAND, run by this Node with bin/multinic.js. */
export function sandboxApplyArgv(binPath: string, netplanDir: string, sysfsDir: string): string[] {
  return [process.execPath, binPath, 'sandbox-apply', '--netplan-dir', netplanDir, '--sysfs-dir', sysfsDir];
}
