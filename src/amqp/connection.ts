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
 * so declarations, prefetch and consumers come back by themselves. Connect and
 * disconnect are logged once each, with the URL's password redacted.
 */
export function connectAmqp(url: string, { connectionName, log, reconnectSeconds = 1, heartbeatSeconds = 10, clientProperties = {} }: ConnectOptions): AmqpConnectionManager {
  const safeUrl = redactText(url);
  const conn = amqp.connect([url], {
    heartbeatIntervalInSeconds: heartbeatSeconds,
    reconnectTimeInSeconds: reconnectSeconds,
    connectionOptions: { clientProperties: { ...clientProperties, connection_name: connectionName } },
  });
  let wasConnected = false;
  let lastFailure = '';
  conn.on('connect', () => {
    wasConnected = true;
    lastFailure = '';
    log.info({ amqp: safeUrl, connectionName }, 'connected to RabbitMQ');
  });
  conn.on('disconnect', ({ err }) => {
    if (wasConnected) log.warn({ amqp: safeUrl, reason: redactText(err?.message ?? 'closed') }, 'disconnected from RabbitMQ; reconnecting');
    wasConnected = false;
  });
  conn.on('connectFailed', ({ err }) => {
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

export type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
