import type { Channel, ConfirmChannel, Options } from 'amqplib';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import { declareCore, declareNodeQueue, Exchanges } from './topology.js';
import { amqpPropertiesFor } from '../events/amqp-properties.js';
import type { InterfaceEvent } from '../events/types.js';
import { reasonOf } from '../errors/classify.js';
import { TransientError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';
import type { EventBroker } from '../model/publisher-ports.js';

/**
 * MultiNIC's one AMQP publishing adapter. Events go out through `createAmqpBroker` (the
 * publisher and `multinic publish`): a confirm channel of a self-healing connection
 * whose setup declares the contract's topology from src/amqp/topology.ts. A copy that
 * must go out on a channel the caller already holds (the queue trigger's dead-letter
 * copy, settled on the channel its original came on) goes through `publishConfirmed`.
 * Both resolve only on the broker's confirm (RabbitMQ "Publisher Confirms").
 */

/** The one thing `publishConfirmed` needs of a channel: amqplib's ConfirmChannel.publish. */
export interface ConfirmPublisher {
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, callback: (err: unknown) => void): boolean;
}

/**
 * Publishes on a confirm channel the caller holds and resolves once the broker confirmed.
 * Rejects with a TransientError (cause: the broker's or amqplib's error) when the broker
 * nacks or the channel is already closed; `what` names the message in that error.
 */
export function publishConfirmed(ch: ConfirmPublisher, exchange: string, routingKey: string, content: Buffer, options: Options.Publish, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => reject(new TransientError(`could not publish ${what} to ${exchange}`, { cause: err }));
    try {
      ch.publish(exchange, routingKey, content, options, (err) => (err ? fail(err) : resolve()));
    } catch (err) {
      // amqplib throws synchronously on a channel that is already closed.
      fail(err);
    }
  });
}

export interface AmqpBrokerOptions {
  /** AMQP `app_id` of every message: `multinic-publisher`. */
  appId: string;
  /** A publish not confirmed within this long fails (and goes again next cycle). Default 10 s. */
  publishTimeoutMs?: number;
  log: Pick<Log, 'warn'>;
}

/** The broker adapter plus what the entry point needs around it. */
export interface AmqpBroker extends EventBroker {
  /** True while the confirm channel is open. */
  connected(): boolean;
  /** Resolves once the confirm channel is open and its setup (the topology) ran; a declareNodes after it runs at once. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes events on a confirm channel of a self-healing connection. The contract
 * topology is declared in the channel's setup, and each node queue in a setup of its own,
 * so after a reconnect everything is declared again before any queued publish goes out.
 */
export function createAmqpBroker(conn: AmqpConnectionManager, { appId, publishTimeoutMs = 10_000, log }: AmqpBrokerOptions): AmqpBroker {
  const declared = new Map<string, Promise<void>>();
  // amqp-connection-manager runs all setups of a channel at once; a node queue's binding
  // needs multinic.events, so every setup waits for this channel's core declaration.
  const coreDeclared = new WeakMap<Channel, Promise<void>>();
  const core = (ch: Channel): Promise<void> => {
    let p = coreDeclared.get(ch);
    if (!p) coreDeclared.set(ch, (p = declareCore(ch)));
    return p;
  };
  const channel: ChannelWrapper = conn.createChannel({
    name: 'multinic-publisher',
    confirm: true,
    json: false,
    publishTimeout: publishTimeoutMs,
    setup: (ch: ConfirmChannel) => core(ch),
  });
  let open = false;
  let lastError: string | undefined;
  // A failed setup (e.g. a node queue declared elsewhere with other arguments: 406) is
  // reported here; the wrapper retries on the next connection.
  channel.on('error', (err: unknown) => {
    const reason = reasonOf(err);
    if (reason !== lastError) log.warn({ reason }, 'RabbitMQ channel setup failed; will retry on reconnect');
    lastError = reason;
  });
  channel.on('connect', () => (open = true));
  channel.on('close', () => (open = false));
  conn.on('disconnect', () => (open = false));

  return {
    isDeclared: (node) => declared.has(node),
    async declareNodes(nodes) {
      await Promise.all(
        nodes.map((node) => {
          let p = declared.get(node);
          if (!p) {
            p = channel.addSetup(async (ch: ConfirmChannel) => {
              await core(ch);
              await declareNodeQueue(ch, node);
            }).then(() => undefined);
            // A failed declaration is tried again next time instead of being remembered as done.
            p.catch(() => declared.delete(node));
            declared.set(node, p);
          }
          return p;
        }),
      );
    },
    async publish(event: InterfaceEvent) {
      await channel.publish(Exchanges.Events, event.data.nodeName, Buffer.from(JSON.stringify(event)), amqpPropertiesFor(event, appId));
    },
    connected: () => open,
    ready: () => channel.waitForConnect(),
    close: () => channel.close(),
  };
}
