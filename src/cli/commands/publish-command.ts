/**
 * The `multinic publish` command tree, kept apart from its implementation (publish.ts)
 * so that registering it, and `--help`, load neither amqplib nor the event schema.
 */
import type { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import { PUBLISH_SOURCE, type PublishFlags } from './publish-flags.js';

function addEventFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--node <name>', 'node name (attached_node_name; the routing key)')
    .requiredOption('--port <id>', 'OpenStack port id (the event subject)')
    .requiredOption('--mac <mac>', 'MAC address of the port, e.g. fa:16:3e:10:01:12')
    .requiredOption('--subnet-id <id>', 'OpenStack subnet id')
    .option('--subnet-name <name>', 'subnet name (informational)', '')
    .requiredOption('--network-id <id>', 'OpenStack network id')
    .requiredOption('--cidr <cidr>', "the subnet's CIDR, e.g. 192.168.100.0/24 or fd00:100::/64")
    .option('--address <ip>', 'static address inside --cidr; omit for DHCP')
    .option('--mtu <n>', 'MTU 576-9216 (at least 1280 on IPv6); omit to leave it alone')
    .option('--cr-namespace <ns>', 'namespace of the custom resource that asked for the port')
    .option('--cr-name <name>', 'name of that custom resource')
    .option('--generation <ms>', 'row version in ms since the epoch (default: now); older than the applied one is dropped as stale')
    .option('--source <uri>', 'CloudEvents source', PUBLISH_SOURCE)
    .option('--dry-run', 'print the validated event JSON instead of publishing it');
}

/** `multinic publish attach|detach`: send one interface event by hand, validated like any other. */
export function registerPublish(program: Command): void {
  const publish = program
    .command('publish')
    .description('publish one interface event to multinic.events (validated with the event schema, publisher confirms)');
  for (const action of ['attach', 'detach'] as const) {
    addEventFlags(
      publish.command(action).description(action === 'attach' ? 'configure a port on a node' : "remove a port's configuration from a node"),
    )
      // A missing or unknown flag is bad usage like a bad value: exit 2, not commander's 1.
      // 0 and 2 are ExitCode.Ok and ExitCode.Usage, spelled out so registration stays light.
      .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
      // The broker URL comes from AMQP_URL or --config only: a password on the command line would show in `ps`.
      .action(async (flags: PublishFlags, cmd: Command) => {
        const [{ runPublish }, { createContext }] = await Promise.all([import('./publish.js'), import('../context.js')]);
        const { config } = createContext('multinic-publish', globalOptions(cmd));
        process.exitCode = await runPublish(action, flags, { amqpUrl: config.amqp.url });
      });
  }
}
