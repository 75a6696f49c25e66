/**
 * The `multinic publish` command tree, kept apart from its implementation (publish.ts)
 * so that registering it, and `--help`, load neither amqplib nor the event schema.
 */
import { Option, type Command } from 'commander';
import { globalOptions } from '../global-options.js';
import { PUBLISH_SOURCE, type PublishFlags } from './publish-flags.js';

const MAC_FORMS = 'fa:16:3e:10:01:12, FA-16-3E-10-01-12, fa16.3e10.0112 or fa163e100112';

/** The event flags; a detach takes only --node and --port as required, the rest defaults from the port's row. */
function addEventFlags(cmd: Command, action: 'attach' | 'detach'): Command {
  const needed = (flags: string, description: string) => (action === 'attach' ? cmd.requiredOption(flags, description) : cmd.option(flags, `${description} (default: from the port's row)`));
  cmd.requiredOption('--node <name>', 'node name (attached_node_name; the routing key)').requiredOption('--port <id>', 'OpenStack port id (the event subject)');
  needed('--mac <mac>', `MAC address of the port: ${MAC_FORMS}`);
  needed('--subnet-id <id>', 'OpenStack subnet id');
  cmd.option('--subnet-name <name>', 'subnet name (informational)');
  needed('--network-id <id>', 'OpenStack network id');
  needed('--cidr <cidr>', "the subnet's CIDR, e.g. 192.168.100.0/24 or fd00:100::/64");
  return cmd
    .option('--address <ip>', 'static address inside --cidr; omit for DHCP')
    .option('--mtu <n>', 'MTU 576-9216 (at least 1280 on IPv6); omit to leave it alone')
    .option('--cr-namespace <ns>', 'namespace of the custom resource that asked for the port')
    .option('--cr-name <name>', 'name of that custom resource')
    .option('--generation <ms>', 'row version in ms since the epoch (default: now); older than the applied one is dropped as stale')
    .option('--source <uri>', 'CloudEvents source', PUBLISH_SOURCE)
    .addOption(new Option('-o, --output <format>', 'json: print {event, receipt} on stdout').choices(['text', 'json']).default('text'))
    .option('--dry-run', 'print the validated event JSON instead of publishing it');
}

const HELP_AFTER = `
Prints the event id on stdout and, on stderr, what was sent and where it went: the
node's queue and whether an agent consumes it. A node with no queue (a name node_table
does not know) is refused, and no queue is created for it. Every problem of the flags is
listed at once, each with what is accepted. Either way nothing is published (exit 2).`;

/** `multinic publish attach|detach`: send one interface event by hand, validated like any other. */
export function registerPublish(program: Command): void {
  const publish = program
    .command('publish')
    .description('publish one interface event to multinic.events (validated with the event schema, publisher confirms)');
  for (const action of ['attach', 'detach'] as const) {
    addEventFlags(publish.command(action).description(action === 'attach' ? 'configure a port on a node' : "remove a port's configuration from a node (needs only --node and --port)"), action)
      .addHelpText('after', HELP_AFTER)
      // A missing or unknown flag is bad usage like a bad value: exit 2, not commander's 1.
      // 0 and 2 are ExitCode.Ok and ExitCode.Usage, spelled out so registration stays light.
      .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
      // The broker URL comes from AMQP_URL or --config only: a password on the command line would show in `ps`.
      .action(async (flags: PublishFlags, cmd: Command) => {
        const [{ runPublish }, { createContext }] = await Promise.all([import('./publish.js'), import('../context.js')]);
        const { config } = createContext('multinic-publish', globalOptions(cmd));
        process.exitCode = await runPublish(action, flags, {
          amqpUrl: config.amqp.url,
          // Only a detach missing fields reads the database, and only then is Sequelize loaded.
          readRow: async (portId) => {
            const { createSequelize, readPortInterfaceRow } = await import('../../db/index.js');
            const db = createSequelize(config.db);
            try {
              return await readPortInterfaceRow(db, portId);
            } finally {
              await db.close().catch(() => undefined);
            }
          },
        });
      });
  }
}
