import type { Command } from 'commander';

interface DemoFlags {
  keep?: boolean;
  json?: boolean;
  sandbox?: boolean;
  backend?: string;
  timeout: string;
}

const HELP_AFTER = `
Needs the local services of this kind of machine: MariaDB (administrator: root over
/run/mysqld/mysqld.sock) and RabbitMQ with its management API (guest@127.0.0.1:15672).
It creates a throwaway database multinic_demo_<id> and vhost multinic-demo-<id>, each
with its own user and random password, and removes them (and the sandbox) on exit,
on failure and on Ctrl-C, unless --keep. The publisher and one agent per seeded node
run IN THIS PROCESS. Where the network lab can run (root, network namespaces, the lab's
packages: bash scripts/services/start.sh lab) each node is a lab node: its own network
and mount namespaces with the real systemd-networkd, a primary NIC configured by a
foreign 50-cloud-init.yaml, the seed's NICs as hot-plugged veths, and the real
\`netplan apply\` run inside it (never on this machine's own network); the table then
shows each NIC as the node's kernel does. With --backend networkmanager each lab node
runs a real NetworkManager instead (private D-Bus, a foreign cloud-init keyfile for the
primary) and the agents use MultiNIC's NetworkManager backend (keyfiles, nmcli); that
needs the lab and fails, saying why, where it cannot run. Elsewhere, or with --sandbox, it runs on
sandbox roots (fake sysfs, own netplan dir, sandbox-apply; never a real \`netplan
apply\`) and says so. Node patches are shown, not sent (KUBE_MODE=log). Files are
validated with \`netplan generate\` when netplan is installed.

Environment:
  DEMO_DB_ADMIN_SOCKET, or DEMO_DB_ADMIN_HOST / _PORT / _USER / _PASSWORD
                          MariaDB administrator (default root over the socket); the
                          demo user connects over TCP to DEMO_DB_ADMIN_HOST:PORT
                          (default 127.0.0.1:3306)
  DEMO_AMQP_ADMIN_URL     management API as an administrator
                          (default http://guest:guest@127.0.0.1:15672/)
  DEMO_AMQP_HOST          AMQP host:port for the demo user (default 127.0.0.1:5672)
  DB_HOST / DB_PORT / DB_USER / DB_PASSWORD / DB_NAME
                          use YOUR database instead: it is migrated and seeded, never dropped
  AMQP_URL                use YOUR vhost instead: its queues are left in place
`;

/** `multinic demo [--keep] [--json]`: the whole system on this machine, in seconds (what `npm run demo` runs). */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the publisher and two agents on a throwaway database and vhost, on network lab nodes (or sandbox roots), and show what they did')
    .option('--keep', 'keep the database, vhost and sandbox (under .sandbox/demo-<id>) and print how to inspect and clean up')
    .option('--json', 'print the outcome as JSON on stdout (progress stays on stderr)')
    .option('--sandbox', 'use the fake sysfs sandbox even where the network lab could run')
    .option('--backend <name>', 'the nodes\' host backend: netplan, or networkmanager (a real NetworkManager per lab node; needs the network lab)', 'netplan')
    .option('--timeout <duration>', 'give up (and clean up) after this long', '60s')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: DemoFlags) => {
      const { runDemoCommand } = await import('../../demo/command.js');
      const abort = new AbortController();
      const onSignal = () => {
        // A second Ctrl-C means "now": skip the clean-up still in progress.
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write('\nmultinic demo: interrupted, cleaning up (Ctrl-C again to quit at once)\n');
        abort.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        process.exitCode = await runDemoCommand({ flags, env: process.env, cwd: process.cwd(), out: process.stdout, err: process.stderr, signal: abort.signal });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
