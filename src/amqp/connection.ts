import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { Log } from '../log/logger.js';
import { redactText } from '../log/redact.js';

export interface ConnectOptions {
  /** Shown in the management UI's connection list, e.g. `multinic-agent worker-node-1`. */
  connectionName: string;
  log: Pick<Log, 'info' | 'warn' | 'error'>;
  /** Seconds between reconnect attempts (default 1). */
  reconnectSeconds?: number;
  heartbeatSeconds?: number;
  /** Picks the broker tried first among several, so that a fleet sharing one AMQP_URL spreads over the cluster (default Math.random). */
  random?: () => number;
  /** More AMQP client properties, shown by the management API per connection (`client_properties`). */
  clientProperties?: Record<string, string>;
}

/** Client property naming the node (its database name) an agent connection serves; `status` reads it. */
export const AGENT_NODE_PROPERTY = 'multinic_node';
/** Client property naming the host backend (netplan, networkmanager) of an agent connection; `status` reads it. */
export const AGENT_BACKEND_PROPERTY = 'multinic_backend';

/**
 * Opens a self-healing AMQP connection (amqp-connection-manager): it reconnects after
 * a broker restart or a closed connection and re-runs every channel's setup function,
 * so declarations, prefetch and consumers come back by themselves. `urls` may name
 * several brokers of one RabbitMQ cluster (config `amqp.url`): the first one tried is
 * picked at random, then, after a failed connect or a disconnect, amqp-connection-manager
 * waits `reconnectSeconds` and tries the next URL, round-robin (its README,
 * "connect(urls, options)"). Connect and disconnect are logged
 * once each, naming the broker with the URL's password redacted.
 */
export function connectAmqp(urls: string | readonly string[], { connectionName, log, reconnectSeconds = 1, heartbeatSeconds = 10, random = Math.random, clientProperties = {} }: ConnectOptions): AmqpConnectionManager {
  const given = typeof urls === 'string' ? [urls] : urls;
  // The same order for every process would put a whole DaemonSet on the first broker.
  const start = Math.floor(random() * given.length) % given.length;
  const list = [...given.slice(start), ...given.slice(0, start)];
  const conn = amqp.connect(list, {
    heartbeatIntervalInSeconds: heartbeatSeconds,
    reconnectTimeInSeconds: reconnectSeconds,
    connectionOptions: { clientProperties: { ...clientProperties, connection_name: connectionName } },
  });
  let safeUrl = redactText(list[0] ?? '');
  let wasConnected = false;
  let lastFailure = '';
  conn.on('connect', ({ url }) => {
    if (typeof url === 'string') safeUrl = redactText(url);
    wasConnected = true;
    lastFailure = '';
    log.info({ amqp: safeUrl, connectionName }, 'connected to RabbitMQ');
  });
  conn.on('disconnect', ({ err }) => {
    if (wasConnected) log.warn({ amqp: safeUrl, reason: redactText(err?.message ?? 'closed') }, 'disconnected from RabbitMQ; reconnecting');
    wasConnected = false;
  });
  conn.on('connectFailed', ({ err, url }) => {
    if (typeof url === 'string') safeUrl = redactText(url);
    const reason = redactText(err?.message ?? 'unknown');
    // One line per distinct failure, not one per retry: a broker that is down for an
    // hour should not fill the log.
    if (reason !== lastFailure) log.warn({ amqp: safeUrl, reason }, 'cannot connect to RabbitMQ; retrying');
    lastFailure = reason;
  });
  conn.on('blocked', ({ reason }) => log.warn({ reason }, 'RabbitMQ blocked this connection (resource alarm)'));
  conn.on('unblocked', () => log.info('RabbitMQ unblocked this connection'));
  return conn;
}

/**
 * Runs `attempt` against each of `targets` in turn (the brokers of one cluster, in their
 * configured order) and returns the first success: the one-shot clients (`multinic
 * publish`, `multinic status`) fail over this way. `next(err)` decides whether a failure
 * moves on to the next target (default: always); when none succeeds, the last target's
 * error is thrown, with every target's failure in its message when there were several.
 */
export async function firstAnswering<T, R>(targets: readonly T[], attempt: (target: T) => Promise<R>, next: (err: unknown) => boolean = () => true): Promise<R> {
  const failures: string[] = [];
  for (const [i, target] of targets.entries()) {
    try {
      return await attempt(target);
    } catch (err) {
      if (i === targets.length - 1 || !next(err)) {
        if (failures.length && err instanceof Error) err.message = `${err.message} (also failed: ${failures.join('; ')})`;
        throw err;
      }
      failures.push(redactText((err as Error).message ?? String(err)));
    }
  }
  throw new Error('no broker to try');
}

export type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
