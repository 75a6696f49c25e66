import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';

interface AgentOptions {
  node?: string;
  nodeDbName?: string;
  httpPort?: string;
}

/**
 * `multinic agent`: configures this node's secondary NICs from its queue until
 * SIGTERM/SIGINT, then stops consuming, finishes the event in hand, closes and exits 0.
 *
 * Start-up order (docs/DESIGN.md, "Safety on a shared host"): the configuration is
 * validated, then health and metrics are bound (HTTP_HOST:HTTP_PORT; a port in use fails
 * here, naming HTTP_PORT / --http-port, before anything else happened), and only then does
 * the agent reach the database, the broker and the host. /healthz answers from then on;
 * /readyz answers 503 naming `database` / `amqp` while either is away. A signal in any
 * state (the database still awaited included) ends the process with exit code 0.
 */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("consume this node's queue and configure its NICs (netplan), patch its Node, write netplan_success back")
    .option('--node <name>', 'Kubernetes name of this node (NODE_NAME)')
    .option('--node-db-name <name>', "this node's attached_node_name when it differs (NODE_DB_NAME; default: looked up in node_table)")
    .option('--http-port <port>', 'health and metrics port, 0 for a free one (HTTP_PORT, default 8080)')
    .action(async (opts: AgentOptions, cmd: Command) => {
      // Loaded here, not at the top: `multinic <anything>` should not pay for the agent's clients.
      const [{ startAgent, checkAgentSettings }, { startHttpServer }, { createRegistry }, { createContext }] = await Promise.all([
        import('../../roots/agent.js'),
        import('../../http/server.js'),
        import('../../http/metrics.js'),
        import('../context.js'),
      ]);
      const { config, log } = createContext('multinic-agent', cmd.optsWithGlobals<GlobalOptions>(), {
        'node.name': opts.node,
        'node.dbName': opts.nodeDbName,
        'http.port': opts.httpPort,
      });
      checkAgentSettings(config);
      const abort = new AbortController();
      let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
        log.info({ signal }, 'stopping during start-up');
        abort.abort();
      };
      const signalled = new Promise<void>((resolve) => {
        const handler = (signal: NodeJS.Signals) => {
          onSignal(signal);
          resolve();
        };
        process.once('SIGTERM', handler);
        process.once('SIGINT', handler);
      });
      const registry = createRegistry();
      // Until startAgent fills it, the agent is not ready: /readyz says so from the first second.
      const readiness = [{ name: 'starting', check: () => false }];
      const http = await startHttpServer({ port: config.http.port, host: config.http.host, registry, readiness, log });
      let agent: Awaited<ReturnType<typeof startAgent>>;
      try {
        agent = await startAgent({ config, log, registry, signal: abort.signal, readiness });
      } catch (err) {
        await http.close();
        // A signal while the database was still awaited is a normal stop, not a failure.
        if (abort.signal.aborted) return log.info('agent stopped before start-up finished');
        throw err;
      }
      onSignal = (signal) => log.info({ signal }, 'stopping: finishing the event in hand, then closing');
      if (abort.signal.aborted) onSignal('SIGTERM');
      await signalled;
      try {
        await agent.stop();
      } finally {
        await http.close();
      }
    });
}
