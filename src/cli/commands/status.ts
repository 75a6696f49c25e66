import type { Command } from 'commander';
import { globalOptions } from '../global-options.js';

/**
 * `multinic status [--node N] [--json]`: interfaces configured / pending / failed per
 * node from the database, each node queue's depth and whether an agent consumes it,
 * and the dead-letter and unroutable counts, from the management API of AMQP_URL's vhost.
 * Exit 1 with a line naming the unreachable source.
 */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('per-node interfaces (configured / pending / failed), queue depth, agent consuming, dead letters')
    .option('--node <name>', 'only this node (its attached_node_name)')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { node?: string; json?: boolean }, cmd: Command) => {
      const [{ readStatus }, { formatStatus, StatusSourceError }, { createContext, ExitCode }] = await Promise.all([
        import('../../roots/status.js'),
        import('../../status/report.js'),
        import('../context.js'),
      ]);
      const { config } = createContext('multinic-status', globalOptions(cmd));
      try {
        const report = await readStatus(config, opts.node);
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
      } catch (err) {
        if (!(err instanceof StatusSourceError)) throw err;
        process.stderr.write(`multinic status: ${err.message}\n`);
        process.exitCode = ExitCode.Failure;
      }
    });
}
