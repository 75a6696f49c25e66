import type { Channel, ConfirmChannel, Options } from 'amqplib';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import { declareCore, Exchanges, nodeQueueName } from './topology.js';
import { checkNodeQueue, declareNodeQueueIsolated, type ChannelSource } from './node-queue.js';
import { amqpPropertiesFor } from '../events/amqp-properties.js';
import type { InterfaceEvent } from '../events/types.js';
import { reasonOf } from '../errors/classify.js';
import { TransientError, UnroutableError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';
import type { EventBroker, NodeQueueProblem } from '../model/publisher-ports.js';

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
  /** Also bind multinic.inspect for each declared node (the publisher does; default true). */
  bindInspect?: boolean;
  log: Pick<Log, 'info' | 'warn'>;
}

/** Node queues declared at once (each on a channel of its own). */
const DECLARE_CONCURRENCY = 16;

/** The broker adapter plus what the entry point needs around it. */
export interface AmqpBroker extends EventBroker {
  /** True while the confirm channel is open. */
  connected(): boolean;
  /** Passive check of these nodes' queues: marks existing ones usable without creating any (`multinic publish`). */
  checkNodes(nodes: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes events on a confirm channel of a self-healing connection; the contract's
 * exchanges and side queues are declared in the channel's setup, again after every
 * reconnect. Node queues are declared each on a channel of their own
 * (src/amqp/node-queue.ts), so one node's queue declared elsewhere with other arguments
 * costs that node only; its state changes are logged once each. What this connection
 * declared is forgotten on a reconnect and declared again before that node's next event.
 * Every event is published mandatory; a basic.return (even the alternate exchange could not
 * route it; RabbitMQ "Publisher Confirms": the return comes before the ack) fails the publish.
 */
export function createAmqpBroker(conn: AmqpConnectionManager, { appId, publishTimeoutMs = 10_000, bindInspect = true, log }: AmqpBrokerOptions): AmqpBroker {
  const usable = new Set<string>();
  const problems = new Map<string, NodeQueueProblem>();
  const returned = new Set<string>();
  const channel: ChannelWrapper = conn.createChannel({
    name: 'multinic-publisher',
    confirm: true,
    json: false,
    publishTimeout: publishTimeoutMs,
    setup: async (ch: ConfirmChannel) => {
      ch.on('return', (msg) => {
        const id = msg.properties.messageId as string | undefined;
        if (id) returned.add(id);
      });
      await declareCore(ch as Channel);
    },
  });
  let open = false;
  let lastError: string | undefined;
  channel.on('error', (err: unknown) => {
    const reason = reasonOf(err);
    if (reason !== lastError) log.warn({ reason }, 'RabbitMQ channel setup failed; will retry on reconnect');
    lastError = reason;
  });
  channel.on('connect', () => (open = true));
  channel.on('close', () => (open = false));
  conn.on('disconnect', () => (open = false));
  // A queue may have been deleted while we were away: declare again after a reconnect.
  conn.on('connect', () => usable.clear());

  const source = (): ChannelSource | undefined => conn.connection;

  const declareOne = async (src: ChannelSource, node: string): Promise<void> => {
    let result;
    try {
      result = await declareNodeQueueIsolated(src, node, { inspect: bindInspect });
    } catch (err) {
      // Connection-level trouble (closed, 403): nothing learned about this queue; next cycle tries again.
      log.warn({ node, reason: reasonOf(err) }, `could not declare ${nodeQueueName(node)}; retrying`);
      return;
    }
    const before = problems.get(node);
    if (result.ok) {
      usable.add(node);
      problems.delete(node);
      if (before) log.info({ node, queue: result.queue }, `node queue ${result.queue} is usable again; its rows go out now`);
      if (result.legacy && !before) log.info({ node, queue: result.queue }, `node queue ${result.queue} carries the pre-policy arguments: it works; see the README's upgrade step`);
      return;
    }
    usable.delete(node);
    problems.set(node, { node, queue: result.queue, message: result.message });
    if (before?.message !== result.message) log.warn({ node, queue: result.queue, argument: result.argument }, `${result.message}; other nodes are not affected`);
  };

  return {
    isDeclared: (node) => usable.has(node),
    async declareNodes(nodes) {
      const src = source();
      if (!src) return;
      const todo = [...new Set(nodes)].filter((n) => !usable.has(n));
      // A few at a time: each is a channel of its own, and a thousand at once would flood the broker.
      for (let i = 0; i < todo.length; i += DECLARE_CONCURRENCY) await Promise.all(todo.slice(i, i + DECLARE_CONCURRENCY).map((n) => declareOne(src, n)));
    },
    async checkNodes(nodes) {
      const src = source();
      if (!src) return;
      for (const node of nodes) if ((await checkNodeQueue(src, node)) !== undefined) usable.add(node);
    },
    queueProblems: () => [...problems.values()],
    async queueDepth(node) {
      const src = source();
      if (!src) throw new TransientError('not connected to RabbitMQ');
      const depth = await checkNodeQueue(src, node);
      if (!depth) usable.delete(node);
      return depth;
    },
    async publish(event: InterfaceEvent) {
      const node = event.data.nodeName;
      if (!usable.has(node)) {
        throw new UnroutableError(
          `no queue ${nodeQueueName(node)}: ${JSON.stringify(node)} is not a node MultiNIC knows (the publisher declares a queue for each node_table row); nothing published`,
        );
      }
      await channel.publish(Exchanges.Events, node, Buffer.from(JSON.stringify(event)), amqpPropertiesFor(event, appId));
      if (returned.delete(event.id)) throw new UnroutableError(`RabbitMQ returned event ${event.id} for ${node} as unroutable`);
    },
    connected: () => open,
    close: () => channel.close(),
  };
}
