import type { Command } from 'commander';
import type { LogFormat, LogLevel } from '../../log/logger.js';
import { globalOptions } from '../global-options.js';

/**
 * `multinic sandbox-apply --netplan-dir D --sysfs-dir S`: the harmless `netplan apply`
 * stand-in (see src/sandbox/apply.ts) for tests, the demo and sandbox mode, used as
 * NETPLAN_APPLY_COMMAND there. Hidden from the main help: it is no tool for a real host.
 * It reads no configuration file, so it starts fast and cannot fail on unrelated keys.
 */
export function registerSandboxApply(program: Command): void {
  program
    .command('sandbox-apply', { hidden: true })
    .description('stand-in for `netplan apply` on a fake sysfs tree: renames NICs per MultiNIC files (never runs netplan)')
    .requiredOption('--netplan-dir <dir>', 'netplan directory holding MultiNIC files')
    .requiredOption('--sysfs-dir <dir>', 'FAKE sysfs class/net tree whose entries are renamed')
    .action(async (opts: { netplanDir: string; sysfsDir: string }, cmd: Command) => {
      const [{ sandboxApply }, { createLogger }] = await Promise.all([import('../../sandbox/apply.js'), import('../../log/logger.js')]);
      const g = globalOptions(cmd);
      const log = createLogger({
        name: 'multinic-sandbox-apply',
        level: (g.logLevel as LogLevel | undefined) ?? 'warn',
        format: (g.logFormat as LogFormat | undefined) ?? 'text',
        out: process.stderr,
      });
      await sandboxApply({ netplanDir: opts.netplanDir, sysfsDir: opts.sysfsDir, log });
    });
}
