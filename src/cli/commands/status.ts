import { Option, type Command } from 'commander';
import { globalOptions } from '../global-options.js';

interface StatusOptions {
  node?: string;
  cr?: string;
  output: 'text' | 'wide' | 'json';
  json?: boolean;
  limit: string;
}

const CR = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)\/([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)$/;

/**
 * `multinic status [--node N | --cr NAMESPACE/NAME] [-o text|wide|json]`: interfaces
 * configured / pending / failed per node from the database (spellings folded by the
 * node-identity rule), each node queue's depth and consumers and whether MultiNIC can use
 * it, stray queues and unroutable events of unknown names, the dead-letter and unroutable
 * counts — from the management API of AMQP_URL's vhost, the first of AMQP_MANAGEMENT_URL's
 * brokers that answers — then every row needing work or naming an unknown node with its
 * reason, the dead-letter reasons and the active publisher. `--cr` shows one
 * OpenstackConfig CR's interfaces across nodes. Exit 1 with a line naming the unreachable
 * source, or when `--node` / `--cr` match nothing; 2 for a malformed flag.
 */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('per-node interfaces and queues, rows needing work with reasons, dead-letter reasons, the active publisher')
    .option('--node <name>', 'only this node (its attached_node_name, any spelling of it)')
    .option('--cr <namespace/name>', "one OpenstackConfig CR's interfaces across nodes (rows' cr_namespace/cr_name)")
    .addOption(new Option('-o, --output <format>', 'text, wide (more columns) or json').choices(['text', 'wide', 'json']).default('text'))
    .addOption(new Option('--json', 'same as -o json').hideHelp())
    .option('--limit <n>', 'most rows listed', '50')
    .action(async (opts: StatusOptions, cmd: Command) => {
      const [{ readStatus }, { StatusSourceError }, { formatFullStatus }, { createContext, ExitCode }] = await Promise.all([
        import('../../roots/status.js'),
        import('../../status/report.js'),
        import('../../status/format.js'),
        import('../context.js'),
      ]);
      const usage = (message: string) => {
        process.stderr.write(`multinic status: ${message}\n`);
        process.exitCode = ExitCode.Usage;
      };
      const cr = opts.cr === undefined ? undefined : CR.exec(opts.cr);
      if (opts.cr !== undefined && !cr) return usage(`--cr must be NAMESPACE/NAME of Kubernetes names (lower-case letters, digits, "." and "-"), got ${JSON.stringify(opts.cr)}`);
      if (cr && opts.node !== undefined) return usage('--cr and --node exclude each other: --cr already spans every node');
      if (!/^\d{1,5}$/.test(opts.limit) || Number(opts.limit) < 1) return usage(`--limit must be an integer from 1 to 99999, got ${JSON.stringify(opts.limit)}`);
      const output = opts.json ? 'json' : opts.output;
      const { config } = createContext('multinic-status', globalOptions(cmd));
      try {
        const status = await readStatus(config, { node: opts.node, cr: cr ? { namespace: cr[1]!, name: cr[3]! } : undefined, limit: Number(opts.limit) });
        if (opts.node !== undefined && status.nodes.length === 0) {
          process.stderr.write(`multinic status: no node named ${JSON.stringify(opts.node)} in node_table or multi_interface under any spelling, and no queue or unroutable event of that name\n`);
          process.exitCode = ExitCode.Failure;
          return;
        }
        if (cr && status.rows.length === 0) {
          process.stderr.write(`multinic status: no multi_interface row carries cr_namespace/cr_name ${opts.cr}\n`);
          process.exitCode = ExitCode.Failure;
          return;
        }
        process.stdout.write(output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : formatFullStatus(status, { wide: output === 'wide', cr: cr ? opts.cr : undefined }));
      } catch (err) {
        if (!(err instanceof StatusSourceError)) throw err;
        process.stderr.write(`multinic status: ${err.message}\n`);
        process.exitCode = ExitCode.Failure;
      }
    });
}
