import type { Command } from 'commander';
import { globalOptions } from '../global-options.js';

interface PublisherOptions {
  pollInterval?: string;
  resendAfter?: string;
  batchSize?: string;
  httpPort?: string;
}

/** `multinic publisher`: turns pending database rows into per-node events until SIGTERM/SIGINT. */
export function registerPublisher(program: Command): void {
  program
    .command('publisher')
    .description('publish one event per pending interface row to its node queue (one active replica, the others stand by)')
    .option('--poll-interval <duration>', 'how often to query for pending rows (PUBLISHER_POLL_INTERVAL, default 250ms)')
    .option('--resend-after <duration>', 'publish a still-pending row again after this long (PUBLISHER_RESEND_AFTER, default 60s)')
    .option('--batch-size <n>', 'most rows read per poll (PUBLISHER_BATCH_SIZE, default 5000)')
    .option('--http-port <port>', 'health and metrics port, 0 for a free one (HTTP_PORT, default 8080)')
    .action(async (opts: PublisherOptions, cmd: Command) => {
      // Loaded here, not at the top: `multinic <anything>` should not pay for the publisher's clients.
      const [{ startHttpServer }, { createRegistry }, { startPublisher }, { createContext }] = await Promise.all([
        import('../../http/server.js'),
        import('../../http/metrics.js'),
        import('../../roots/publisher.js'),
        import('../context.js'),
      ]);
      const { config, log } = createContext('multinic-publisher', globalOptions(cmd), {
        'publisher.pollInterval': opts.pollInterval,
        'publisher.resendAfter': opts.resendAfter,
        'publisher.batchSize': opts.batchSize,
        'http.port': opts.httpPort,
      });
      const registry = createRegistry();
      const publisher = startPublisher({ config, log, registry });
      const http = await startHttpServer({ port: config.http.port, host: config.http.host, registry, readiness: publisher.readiness, log }).catch(async (err: unknown) => {
        await publisher.stop();
        throw err;
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'stopping: finishing the cycle in hand, then releasing the lock');
          void publisher
            .stop()
            .then(() => http.close())
            .catch((err: unknown) => log.error({ err }, 'error while stopping'))
            .finally(resolve);
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });
}
