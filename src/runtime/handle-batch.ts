import { reasonOf } from '../errors/classify.js';
import type { Log } from '../log/logger.js';
import { parseDelivery, runSingle, settleHandled, type Delivery, type DeliveryContext, type HandlerResult, type ParsedDelivery } from './handle-delivery.js';

/** What a batch handler says about one message of its batch. */
export type BatchItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * A batch handler: handles several messages of one queue together (one node's events:
 * one apply for all) and returns one result per message, in order. A message that failed
 * alone is `{ ok: false, error }`; a failure of the batch as a whole (its shared apply)
 * is thrown, and the runtime splits the batch to find the message at fault.
 */
export type BatchHandler<E, R> = (items: ReadonlyArray<{ message: E; log: Log }>) => Promise<Array<BatchItemResult<R>>>;

/**
 * Batch mode of the queue trigger (Powertools' BatchProcessor, amqplib's per-message
 * ack under a prefetch of many): the messages already waiting on the node's queue are
 * handled together, each still settled on its own, in order.
 */
export interface BatchOptions<E, R> {
  handler: BatchHandler<E, R>;
  /** Most messages per batch, also the channel's prefetch (`agent.batchSize`, default 32); 1 turns batching off. */
  size: number;
  /**
   * How long a batch that is not full waits for more messages before it starts, in ms
   * (`agent.batchLinger`, default 5): enough for a burst already on the wire to arrive,
   * too short to matter to a single event.
   */
  lingerMs: number;
}

/**
 * Takes several messages of one queue from arrival to settlement. Each is parsed on its
 * own (an invalid one is dead-lettered at once, as `handleDelivery` does); the valid ones
 * go to the batch handler together. Then the messages it handled are acked, in order, and
 * after them each message that failed alone goes, in order, through the single-message path (`runSingle`: retries,
 * dead-letter or requeue) with that failure as its first attempt, and never holds back the
 * others. When the batch as a whole throws, it is retried as two halves, recursively,
 * until the message at fault is alone, and then that one takes the single-message path
 * (the message handler, not the batch handler). A batch of one takes it directly. Never throws.
 */
export async function handleDeliveries<E, R extends HandlerResult>(ds: readonly Delivery[], ctx: DeliveryContext<E, R>, handler: BatchHandler<E, R>): Promise<void> {
  const parsed: ParsedDelivery<E>[] = [];
  for (const d of ds) {
    const p = await parseDelivery(d, ctx);
    if (p) parsed.push(p);
  }
  await runBatch(parsed, ctx, handler);
}

async function runBatch<E, R extends HandlerResult>(items: readonly ParsedDelivery<E>[], ctx: DeliveryContext<E, R>, handler: BatchHandler<E, R>): Promise<void> {
  if (items.length === 0) return;
  if (items.length === 1) return runSingle(items[0]!, ctx);
  const started = performance.now();
  let results: Array<BatchItemResult<R>>;
  try {
    results = await handler(items.map(({ message, log }) => ({ message, log })));
    if (results.length !== items.length) throw new Error(`the batch handler returned ${results.length} results for ${items.length} messages`);
  } catch (err) {
    const seconds = (performance.now() - started) / 1000;
    for (const it of items) ctx.observer?.attempted?.({ kind: it.kind, ok: false, seconds });
    const half = Math.ceil(items.length / 2);
    ctx.log.warn({ size: items.length, reason: reasonOf(err) }, 'batch failed as a whole; retrying it as two halves to isolate the event at fault');
    await runBatch(items.slice(0, half), ctx, handler);
    await runBatch(items.slice(half), ctx, handler);
    return;
  }
  const seconds = (performance.now() - started) / 1000;
  // The handled ones first, in order: a failed one's retries must not delay their acks.
  for (const [i, it] of items.entries()) {
    const r = results[i]!;
    ctx.observer?.attempted?.({ kind: it.kind, ok: r.ok, seconds });
    if (r.ok) settleHandled(it, ctx, r.value, 1, { batch: items.length });
  }
  for (const [i, it] of items.entries()) {
    const r = results[i]!;
    if (!r.ok) await runSingle(it, ctx, { error: r.error });
  }
}
