import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { AmqpConnectionManager } from '../amqp/connection.js';
import { declareCore, DELIVERY_LIMIT, Exchanges, nodeQueueName } from '../amqp/topology.js';
import { declareNodeQueueIsolated, InequivalentQueueError } from '../amqp/node-queue.js';
import { TransientError } from '../errors/errors.js';
import { reasonOf } from '../errors/classify.js';
import { createSerializer, type Serializer } from '../lib/serial.js';
import type { Log } from '../log/logger.js';
import { backoffDelay } from './backoff.js';
import { publishDeadLetter } from './dead-letter.js';
import { handleDeliveries, type BatchOptions } from './handle-batch.js';
import { handleDelivery, type Delivery, type DeliveryContext, type HandlerResult, type MessageHandling } from './handle-delivery.js';
import type { DeliveryObserver } from './observer.js';

/**
 * A queue trigger for messages of kind E whose handler returns R: how to parse, label
 * and handle them (MessageHandling), plus where and how to consume.
 */
export interface QueueTriggerOptions<E, R extends HandlerResult> extends MessageHandling<E, R> {
  /** From src/amqp/connection.ts; the entry point owns and closes it. */
  connection: AmqpConnectionManager;
  /** Database node name: the trigger consumes `multinic.node.<node>`. */
  node: string;
  /** In-process retries of a transient failure before the message goes back to the queue. */
  maxRetries: number;
  /**
   * Declare the contract's shared exchanges on every (re)connect (default true). False for a
   * per-node RabbitMQ user, which has no "configure" right on them (RabbitMQ would answer 403
   * on every reconnect): the trigger then only checks passively that `multinic.events` and
   * `multinic.dead` exist (the publisher declares them) and declares and binds its own queue;
   * until they exist it retries, and `consuming()` stays false.
   */
  declareExchanges?: boolean;
  /** Delay before in-process retry `attempt` (0-based); default `backoffDelay` (200 ms .. 10 s, full jitter). */
  backoff?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
  log: Log;
  /** Told what happened to each message (metrics subscribe here); the runtime itself counts nothing. */
  observer?: DeliveryObserver;
  /**
   * The node's lock: every delivery (handler, failure record, settlement) runs inside it,
   * one at a time, also across a reconnect. Pass the serializer the rest of the node's
   * work uses (the agent's resync) so the two never interleave; default a new one.
   */
  serialize?: Serializer;
  /**
   * Batch mode (src/runtime/handle-batch.ts): prefetch `size`, and hand what is already
   * waiting (up to `size`) to `handler` together; each message is still settled on its
   * own. Absent, or size 1: one message at a time, prefetch 1.
   */
  batch?: BatchOptions<E, R>;
}

export interface QueueTrigger {
  /** True only while a consumer is registered on a live channel (the readiness check). */
  consuming(): boolean;
  /** Why the trigger cannot consume, when its queue exists with arguments it cannot use (names the queue, the argument, the fix). */
  problem(): string | undefined;
  /** Cancels the consumer, waits for the message in hand to be settled, closes the channel. Idempotent. */
  stop(): Promise<void>;
}

/** One underlying channel's life; a reconnect makes a new one. */
interface ChannelState {
  ch: ConfirmChannel;
  open: boolean;
  consumerTag?: string;
  /** Batch mode: delivered messages not yet taken by a batch. */
  waiting: Delivery[];
  /** Batch mode: a drain is queued on the serializer and has not started taking yet. */
  drainQueued: boolean;
}

/** How long after losing its channel (with the connection still up) the trigger forces a reconnect. */
const CHANNEL_RECOVERY_MS = 1_000;
/** How often an unusable node queue is declared again (an operator may have fixed it). */
const QUEUE_PROBLEM_RETRY_MS = 30_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Consumes one node's queue and runs the handler for each event, one at a time, in
 * order (or, in batch mode, the batch handler for the events already waiting, each still
 * settled on its own). The channel's setup (declare the contract's exchanges and the node queue with
 * the shared arguments, prefetch 1 or the batch size, consume) is idempotent and re-runs on every
 * reconnect, so a broker restart or a cut connection heals by itself. Every message is
 * settled on the channel it arrived on; what happens to it is decided in
 * `handleDelivery`. Does not wait for the broker: `consuming()` says when it is served.
 */
export async function startQueueTrigger<E, R extends HandlerResult>(opts: QueueTriggerOptions<E, R>): Promise<QueueTrigger> {
  const { connection, node, log } = opts;
  const queue = nodeQueueName(node);
  const declareExchanges = opts.declareExchanges ?? true;
  let stopping = false;
  let current: ChannelState | undefined;
  // A setup that keeps failing (exchanges not there yet, a 403) retries every second: one
  // log line per distinct reason, not one per attempt.
  let lastSetupFailure = '';
  let problem: string | undefined;
  // Serialises handling across channels too: after a reconnect, the redelivery of a
  // message must not run beside the handler still busy with it on the old channel.
  const serialize = opts.serialize ?? createSerializer();

  const ctx: DeliveryContext<E, R> = {
    node,
    parse: opts.parse,
    fieldsOf: opts.fieldsOf,
    kindOf: opts.kindOf,
    handler: opts.handler,
    onFinalFailure: opts.onFinalFailure,
    maxRetries: opts.maxRetries,
    deliveryLimit: DELIVERY_LIMIT,
    backoff: opts.backoff ?? ((attempt) => backoffDelay(attempt)),
    sleep: opts.sleep ?? defaultSleep,
    stopping: () => stopping,
    log,
    observer: opts.observer,
  };

  const deliveryOf = (state: ChannelState, msg: ConsumeMessage): Delivery => {
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    const count = headers['x-delivery-count'];
    return {
      content: msg.content,
      messageId: msg.properties.messageId as string | undefined,
      headers,
      deliveryCount: typeof count === 'number' && count > 0 ? count : 0,
      isOpen: () => state.open,
      ack: () => state.ch.ack(msg),
      requeue: () => state.ch.nack(msg, false, true),
      deadLetter: (reason) => publishDeadLetter(state.ch, msg, reason, queue),
    };
  };

  // A channel can close while the connection stays up (a channel error, the queue deleted
  // under us). amqp-connection-manager only rebuilds channels on a new connection, so force
  // one, unless a reconnect already gave us a fresh channel meanwhile.
  const recoverLater = (state: ChannelState, why: string, delayMs = CHANNEL_RECOVERY_MS) => {
    setTimeout(() => {
      if (stopping || current !== state || !connection.isConnected()) return;
      log.warn({ queue, why }, 'lost the consumer channel; reconnecting to restore it');
      connection.reconnect();
    }, delayMs).unref();
  };

  // The queue is declared on channels of its own (src/amqp/node-queue.ts): a queue declared
  // elsewhere with other arguments closes those, not the consumer channel, and is reported
  // plainly — the queue, the argument, the fix — once per distinct answer, then tried again.
  const declareOwnQueue = async (state: ChannelState): Promise<void> => {
    const model = connection.connection;
    if (!model) throw new TransientError('not connected to RabbitMQ');
    const result = await declareNodeQueueIsolated(model, node);
    if (result.ok) {
      if (problem !== undefined) log.info({ queue }, 'the node queue is usable again');
      else if (result.legacy) log.info({ queue }, `${queue} carries the pre-policy arguments: it works; see the README's upgrade step`);
      problem = undefined;
      return;
    }
    const err = new InequivalentQueueError(result);
    if (problem !== result.message) log.error({ queue, argument: result.argument, retryInMs: QUEUE_PROBLEM_RETRY_MS }, `cannot consume: ${result.message}`);
    problem = result.message;
    lastSetupFailure = reasonOf(err);
    recoverLater(state, 'node queue unusable', QUEUE_PROBLEM_RETRY_MS);
    throw err;
  };

  const batch = opts.batch && opts.batch.size > 1 ? opts.batch : undefined;
  // Batch mode: one drain at a time takes whatever is waiting (after a short linger when
  // the batch is not full) and handles it; messages arriving meanwhile queue the next.
  const drain = async (state: ChannelState, b: BatchOptions<E, R>): Promise<void> => {
    if (state.waiting.length < b.size && b.lingerMs > 0) await ctx.sleep(b.lingerMs);
    state.drainQueued = false;
    const taken = state.waiting.splice(0, b.size).filter((d) => d.isOpen());
    if (state.waiting.length > 0) queueDrain(state, b);
    await handleDeliveries(taken, ctx, b.handler);
  };
  const queueDrain = (state: ChannelState, b: BatchOptions<E, R>) => {
    if (state.drainQueued) return;
    state.drainQueued = true;
    serialize(() => drain(state, b)).catch((err: unknown) => log.error({ queue, err }, 'unexpected failure while handling a batch'));
  };

  const setup = async (ch: ConfirmChannel): Promise<void> => {
    const state: ChannelState = { ch, open: true, waiting: [], drainQueued: false };
    current = state;
    ch.on('error', (err: Error) => log.warn({ queue, reason: reasonOf(err) }, 'AMQP channel error'));
    ch.on('close', () => {
      state.open = false;
      state.consumerTag = undefined;
      recoverLater(state, 'channel closed');
    });
    if (stopping) return;
    if (declareExchanges) await declareCore(ch);
    else await checkSharedExchanges(ch);
    await declareOwnQueue(state);
    await ch.prefetch(batch?.size ?? 1);
    const { consumerTag } = await ch.consume(queue, (msg) => {
      if (msg === null) {
        // The broker cancelled us (queue deleted): nothing else will bring the consumer back.
        state.consumerTag = undefined;
        recoverLater(state, 'consumer cancelled by the broker');
        return;
      }
      if (batch) {
        state.waiting.push(deliveryOf(state, msg));
        queueDrain(state, batch);
        return;
      }
      serialize(() => handleDelivery(deliveryOf(state, msg), ctx)).catch((err: unknown) =>
        log.error({ queue, err }, 'unexpected failure while handling a message'),
      );
    });
    state.consumerTag = consumerTag;
    lastSetupFailure = '';
    log.info({ queue }, 'consuming');
  };

  const checkSharedExchanges = async (ch: ConfirmChannel): Promise<void> => {
    try {
      for (const exchange of [Exchanges.Events, Exchanges.Dead]) await ch.checkExchange(exchange);
    } catch (err) {
      const reason = reasonOf(err);
      if (reason !== lastSetupFailure) {
        log.warn({ queue, reason }, 'the shared exchanges do not exist yet (amqp.declareExchanges=false: the publisher declares them); retrying');
      }
      lastSetupFailure = reason;
      throw err;
    }
  };

  const wrapper = connection.createChannel({ name: `queue-trigger ${queue}`, confirm: true, setup });
  // Without a listener an 'error' event would crash the process; the setup re-runs on the next connect.
  wrapper.on('error', (err: Error) => {
    const reason = reasonOf(err);
    if (reason === lastSetupFailure) return;
    lastSetupFailure = reason;
    log.error({ queue, reason }, 'AMQP channel setup failed; retrying on the next connection');
  });

  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopping = true;
    const state = current;
    if (state?.open && state.consumerTag) {
      const tag = state.consumerTag;
      state.consumerTag = undefined;
      await state.ch.cancel(tag).catch((err: unknown) => log.warn({ queue, reason: reasonOf(err) }, 'could not cancel the consumer'));
    }
    // Wait until no message is in hand; a delivery that raced the cancel is waited for too.
    await serialize.idle();
    await wrapper.close().catch((err: unknown) => log.warn({ queue, reason: reasonOf(err) }, 'could not close the channel'));
    log.info({ queue }, 'stopped consuming');
  };

  return {
    consuming: () => !stopping && !!current?.open && !!current.consumerTag,
    problem: () => problem,
    stop: () => (stopped ??= stop()),
  };
}
