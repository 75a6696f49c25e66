import { runCommand, type CommandRunner } from '../../src/host/command.js';
import type { Log } from '../../src/log/logger.js';
import { sandboxApply } from '../../src/sandbox/apply.js';

/** The argv[0] that `sandboxRunner` runs in process as the sandbox apply. */
export const SANDBOX = 'sandbox-apply';

/**
 * The apply command of host tests: `onApply` is told of every run; the sandbox apply
 * (argv[0] = SANDBOX) runs in process on the dirs `where()` names at that moment (fast),
 * anything else (`false`, `sleep`) runs for real.
 */
export function sandboxRunner(where: () => { netplanDir: string; sysfsDir: string }, log: Log, onApply: () => void): CommandRunner {
  return async (argv, opts) => {
    onApply();
    if (argv[0] === SANDBOX) {
      await sandboxApply({ ...where(), log });
      return { stdout: '', stderr: '', durationMs: 0 };
    }
    return runCommand(argv, opts);
  };
}
