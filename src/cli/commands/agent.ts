import type { Command } from 'commander';
import { globalOptions } from '../global-options.js';

interface AgentOptions {
  node?: string;
  nodeDbName?: string;
  httpPort?: string;
  sandbox?: string;
  configureThisHost?: boolean;
}

const HELP_AFTER = `
Safety: the agent rewrites this host's network configuration (netplan files, netplan apply).
It starts only where that is meant:
  --sandbox DIR          everything under DIR instead: netplan files in DIR/etc/netplan,
                         backups in DIR/backups, a fake /sys/class/net in DIR/sys-class-net
                         (each port's NIC is plugged there when first configured),
                         \`multinic sandbox-apply\` instead of \`netplan apply\`, Node patches
                         logged instead of sent. Database, broker and --node as usual.
  (neither flag)         only on a Kubernetes node: KUBECONFIG or an in-cluster service
                         account, and a Node named NODE_NAME that the API knows; otherwise
                         it refuses with exit 2 and changes nothing.
  --configure-this-host  a real host the Kubernetes API cannot vouch for (e.g. kube.mode=log
                         on a node managed otherwise): skip that check.

Example, on a development machine with the README's variables set:
  NODE_NAME=worker-node-1 npx multinic agent --sandbox .sandbox/worker-node-1 --http-port 0
`;

/**
 * `multinic agent`: configures this node's secondary NICs from its queue until
 * SIGTERM/SIGINT, then stops consuming, finishes the event in hand, closes and exits 0.
 * `--sandbox DIR` runs it on a sandbox (src/roots/sandbox-agent.ts); without it, the agent
 * starts only on a machine the Kubernetes API confirms is a node (src/roots/node-guard.ts)
 * or with `--configure-this-host`; a refusal exits 2 before anything is touched.
 */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("consume this node's queue and configure its NICs (netplan), patch its Node, write netplan_success back")
    .option('--node <name>', 'Kubernetes name of this node (NODE_NAME)')
    .option('--node-db-name <name>', "this node's attached_node_name when it differs (NODE_DB_NAME; default: looked up in node_table)")
    .option('--http-port <port>', 'health and metrics port, 0 for a free one (HTTP_PORT, default 8080)')
    .option('--sandbox <dir>', 'run against a sandbox under DIR (fake NICs, sandbox apply, Node patches logged): changes nothing on this host')
    .option('--configure-this-host', 'start on a host the Kubernetes API does not confirm as a node, and reconfigure its network')
    .addHelpText('after', HELP_AFTER)
    .action(async (opts: AgentOptions, cmd: Command) => {
      // Loaded here, not at the top: `multinic <anything>` should not pay for the agent's clients.
      const [{ startAgent }, { startSandboxAgent, sandboxOverrides }, { confirmKubernetesNode, NotANodeError }, { agentSandbox }, { startHttpServer }, { createRegistry }, { createContext, ExitCode }] =
        await Promise.all([
          import('../../roots/agent.js'),
          import('../../roots/sandbox-agent.js'),
          import('../../roots/node-guard.js'),
          import('../../sandbox/agent-sandbox.js'),
          import('../../http/server.js'),
          import('../../http/metrics.js'),
          import('../context.js'),
        ]);
      if (opts.sandbox !== undefined && opts.configureThisHost) {
        process.stderr.write('multinic agent: --sandbox and --configure-this-host exclude each other: a sandbox never configures this host\n');
        process.exitCode = ExitCode.Usage;
        return;
      }
      const sandbox = opts.sandbox === undefined ? undefined : agentSandbox(opts.sandbox);
      const { config, log } = createContext('multinic-agent', globalOptions(cmd), {
        'node.name': opts.node,
        'node.dbName': opts.nodeDbName,
        'http.port': opts.httpPort,
        ...(sandbox ? sandboxOverrides(sandbox, process.argv[1]!) : {}),
      });
      if (!sandbox && !opts.configureThisHost) {
        try {
          const { via } = await confirmKubernetesNode(config, { env: process.env });
          log.info({ node: config.node.name, via }, 'the Kubernetes API confirms this machine is a node');
        } catch (err) {
          if (!(err instanceof NotANodeError)) throw err;
          process.stderr.write(`multinic agent: ${err.message}\n`);
          process.exitCode = ExitCode.Usage;
          return;
        }
      }
      const abort = new AbortController();
      let onSignal: (signal: NodeJS.Signals) => void = () => abort.abort();
      const signalled = new Promise<void>((resolve) => {
        const handler = (signal: NodeJS.Signals) => {
          onSignal(signal);
          resolve();
        };
        process.once('SIGTERM', handler);
        process.once('SIGINT', handler);
      });
      const registry = createRegistry();
      const agent = sandbox
        ? await startSandboxAgent({ config, log, registry, sandbox, signal: abort.signal })
        : await startAgent({ config, log, registry, signal: abort.signal });
      const http = await startHttpServer({ port: config.http.port, registry, readiness: agent.readiness, log }).catch(async (err: unknown) => {
        await agent.stop();
        throw err;
      });
      onSignal = (signal) => log.info({ signal }, 'stopping: finishing the event in hand, then closing');
      await signalled;
      try {
        await agent.stop();
      } finally {
        await http.close();
      }
    });
}
