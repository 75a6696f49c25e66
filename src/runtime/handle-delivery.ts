import { classify, reasonOf, Verdict } from '../errors/classify.js';
import { InvalidEventError } from '../errors/errors.js';
import { Header } from '../events/amqp-properties.js';
import type { Log } from '../log/logger.js';
import { DeadLetterReason, type DeliveryObserver } from './observer.js';

/**
 * One message as the trigger hands it over: its bytes, what the broker said about it, and
 * the only four things that may be done with it. Built by the queue trigger around an
 * amqplib message and its channel; built by hand in unit tests.
 */
export interface Delivery {
  content: Buffer;
  messageId?: string;
  headers: Record<string, unknown>;
  /** How often the broker delivered it before (quorum queue `x-delivery-count`; 0 the first time). */
  deliveryCount: number;
  /** False once the channel it came on has closed: it can no longer be settled and will be redelivered. */
  isOpen(): boolean;
  ack(): void;
  /** nack with requeue: the broker counts it against x-delivery-limit. */
  requeue(): void;
  /** Publishes a copy to multinic.dead with the reason and resolves on the broker's confirm. */
  deadLetter(reason: string): Promise<void>;
}

/** What a handler returns: `result` names the outcome; the rest goes into the one log line. */
export interface HandlerResult {
  result: string;
}

/**
 * How the trigger reads and handles one kind of message, E, whose handler returns R. The
 * composition root provides it (the agent: interface events, src/agent/delivery.ts).
 */
export interface MessageHandling<E, R extends HandlerResult> {
  /** Turns a body into a message or throws InvalidEventError with the one-line reason for the dead-letter header. */
  parse: (body: Buffer) => E;
  /** Fields every log line about this message carries, e.g. `{ eventId, node, portId }`. */
  fieldsOf: (message: E) => Record<string, unknown>;
  /** A short label for the observer, e.g. `attach`. */
  kindOf: (message: E) => string;
  /** The handler: a function of the message (its ports are bound by the composition root). Logs nothing about failures. */
  handler: (message: E, log: Log) => Promise<R>;
  /** Records "failed" before the message is dead-lettered (permanent failure, or the last delivery allowed). */
  onFinalFailure?: (message: E, err: unknown, log: Log) => Promise<void>;
}

/** Everything `handleDelivery` needs besides the message. */
export interface DeliveryContext<E, R extends HandlerResult> extends MessageHandling<E, R> {
  /** The node whose queue this is; logged when a body carries no node header. */
  node: string;
  /** In-process retries of a transient failure before the message goes back to the queue. */
  maxRetries: number;
  /** Deliveries the broker allows before it dead-letters (the node queue policy's delivery-limit, or an older queue's x-delivery-limit). */
  deliveryLimit: number;
  backoff: (attempt: number) => number;
  sleep: (ms: number) => Promise<void>;
  /** True once the trigger is stopping: transient retries end early and the message goes back to the queue. */
  stopping: () => boolean;
  log: Log;
  observer?: DeliveryObserver;
}

const MAX_LOGGED_HEADER_CHARS = 200;

/** A header as text for a log field; hostile input may put anything there. */
function headerText(v: unknown): string | undefined {
  const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'number' ? String(v) : undefined;
  return s?.slice(0, MAX_LOGGED_HEADER_CHARS);
}

/** The reason for the dead-letter header: an invalid event's own message says it best. */
function headerReason(err: unknown): string {
  return err instanceof InvalidEventError ? err.message : reasonOf(err);
}

/** Settles the message unless its channel is gone; reports whether it could. */
function trySettle(d: Delivery, how: 'ack' | 'requeue'): boolean {
  if (!d.isOpen()) return false;
  try {
    d[how]();
    return true;
  } catch {
    // amqplib throws when the channel closed between the check and the call.
    return false;
  }
}

const CHANNEL_GONE = 'the channel closed before the message could be settled; the broker redelivers it and the handler is idempotent';

/** Runs the final-failure hook; its own failure is reported, never thrown, so the message is still settled. */
async function recordFailure<E>(ctx: DeliveryContext<E, HandlerResult>, event: E, err: unknown, log: Log): Promise<string | undefined> {
  if (!ctx.onFinalFailure) return undefined;
  try {
    await ctx.onFinalFailure(event, err, log);
    return undefined;
  } catch (recordErr) {
    return reasonOf(recordErr);
  }
}

async function deadLetterInvalid(d: Delivery, observer: DeliveryObserver | undefined, err: unknown, log: Log): Promise<void> {
  const reason = headerReason(err);
  try {
    await d.deadLetter(reason);
  } catch (dlErr) {
    log.warn({ reason, deadLetterError: reasonOf(dlErr) }, 'invalid message could not be dead-lettered; left for redelivery');
    return;
  }
  const acked = trySettle(d, 'ack');
  observer?.settled?.({ kind: 'unknown', outcome: 'invalid', deadLetter: DeadLetterReason.Invalid });
  log.warn({ reason, ...(acked ? {} : { note: CHANNEL_GONE }) }, 'invalid message dead-lettered; nothing was applied');
}

async function deadLetterPermanent<E>(d: Delivery, ctx: DeliveryContext<E, HandlerResult>, event: E, err: unknown, log: Log, kind: string, attempts: number): Promise<void> {
  const reason = headerReason(err);
  const recordError = await recordFailure(ctx, event, err, log);
  try {
    await d.deadLetter(reason);
  } catch (dlErr) {
    log.error({ err, reason, recordError, deadLetterError: reasonOf(dlErr), attempts }, 'permanent failure; could not dead-letter it, left for redelivery');
    return;
  }
  const acked = trySettle(d, 'ack');
  ctx.observer?.settled?.({ kind, outcome: 'dead-lettered', deadLetter: DeadLetterReason.Permanent });
  log.error({ err, reason, recordError, attempts, ...(acked ? {} : { note: CHANNEL_GONE }) }, 'permanent failure; event dead-lettered');
}

async function giveBack<E>(d: Delivery, ctx: DeliveryContext<E, HandlerResult>, event: E, err: unknown, log: Log, kind: string, attempts: number): Promise<void> {
  const reason = reasonOf(err);
  if (!d.isOpen()) {
    log.warn({ err, reason, attempts, note: CHANNEL_GONE }, 'transient failure');
    return;
  }
  // The broker dead-letters a message returned on this delivery: record the failure first
  // so the row shows it.
  const last = d.deliveryCount >= ctx.deliveryLimit;
  const recordError = last ? await recordFailure(ctx, event, err, log) : undefined;
  const requeued = trySettle(d, 'requeue');
  const fields = { err, reason, attempts, recordError, deliveryLimit: ctx.deliveryLimit, ...(requeued ? {} : { note: CHANNEL_GONE }) };
  if (last) {
    ctx.observer?.settled?.({ kind, outcome: 'dead-lettered', deadLetter: DeadLetterReason.DeliveryLimit });
    log.error(fields, 'transient failure on the last delivery allowed; the broker dead-letters the event');
  } else {
    ctx.observer?.settled?.({ kind, outcome: 'requeued' });
    log.warn(fields, 'transient failure; event returned to the queue for redelivery');
  }
}

/** A message that parsed, with what every later step needs. */
export interface ParsedDelivery<E> {
  d: Delivery;
  message: E;
  /** Child logger with the message's fields. */
  log: Log;
  /** The observer's label (`kindOf`). */
  kind: string;
}

/**
 * Parses and validates one message; an invalid one is dead-lettered with the reason and
 * acked (nothing reaches a handler) and undefined is returned. Never throws.
 */
export async function parseDelivery<E, R extends HandlerResult>(d: Delivery, ctx: DeliveryContext<E, R>): Promise<ParsedDelivery<E> | undefined> {
  let message: E;
  try {
    message = ctx.parse(d.content);
  } catch (err) {
    const fromHeaders = ctx.log.child({
      eventId: headerText(d.messageId) ?? null,
      node: headerText(d.headers[Header.Node]) ?? ctx.node,
      portId: headerText(d.headers[Header.Port]) ?? null,
      deliveryCount: d.deliveryCount,
    });
    await deadLetterInvalid(d, ctx.observer, err, fromHeaders);
    return undefined;
  }
  return { d, message, log: ctx.log.child({ ...ctx.fieldsOf(message), deliveryCount: d.deliveryCount }), kind: ctx.kindOf(message) };
}

/** Acks a handled message, tells the observer and logs its outcome: the one success line. */
export function settleHandled<E, R extends HandlerResult>(p: ParsedDelivery<E>, ctx: DeliveryContext<E, R>, outcome: R, attempts: number, extra: Record<string, unknown> = {}): void {
  const acked = trySettle(p.d, 'ack');
  ctx.observer?.settled?.({ kind: p.kind, outcome: outcome.result });
  const fields = { ...outcome, attempts, ...extra };
  if (acked) p.log.info(fields, 'event handled');
  else p.log.warn({ ...fields, note: CHANNEL_GONE }, 'event handled');
}

/**
 * Runs the handler for one parsed message until it is settled: on a transient failure
 * retry in process with backoff up to `maxRetries`, then requeue so the broker's delivery
 * limit bounds it; on a permanent one record the failure, dead-letter with the reason,
 * then ack; on success ack. `firstError` is the failure of a first attempt made elsewhere
 * (the message's batch): it counts as attempt 1 and is classified as such. Never throws.
 */
export async function runSingle<E, R extends HandlerResult>(p: ParsedDelivery<E>, ctx: DeliveryContext<E, R>, firstError?: { error: unknown }): Promise<void> {
  const { d, message, log, kind } = p;
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    let outcome: R;
    try {
      if (attempt === 0 && firstError) throw firstError.error;
      outcome = await ctx.handler(message, log);
    } catch (err) {
      if (!(attempt === 0 && firstError)) ctx.observer?.attempted?.({ kind, ok: false, seconds: (performance.now() - started) / 1000 });
      if (classify(err) === Verdict.DeadLetter) return deadLetterPermanent(d, ctx, message, err, log, kind, attempt + 1);
      if (attempt >= ctx.maxRetries || ctx.stopping() || !d.isOpen()) return giveBack(d, ctx, message, err, log, kind, attempt + 1);
      const delayMs = ctx.backoff(attempt);
      ctx.observer?.retrying?.({ kind, attempt: attempt + 1, delayMs });
      log.debug({ reason: reasonOf(err), attempt: attempt + 1, delayMs }, 'transient failure; retrying in process');
      await ctx.sleep(delayMs);
      continue;
    }
    ctx.observer?.attempted?.({ kind, ok: true, seconds: (performance.now() - started) / 1000 });
    settleHandled(p, ctx, outcome, attempt + 1);
    return;
  }
}

/**
 * Takes one message from arrival to settlement, and is the only place a failure is
 * logged: parse and validate (invalid: dead-letter with the reason, then ack — nothing
 * reaches the handler); run the handler; on a transient failure retry in process with
 * backoff up to `maxRetries`, then requeue so the broker's delivery limit bounds it; on a
 * permanent one record the failure, dead-letter with the reason, then ack. Acknowledges
 * last. Never throws.
 */
export async function handleDelivery<E, R extends HandlerResult>(d: Delivery, ctx: DeliveryContext<E, R>): Promise<void> {
  const parsed = await parseDelivery(d, ctx);
  if (parsed) await runSingle(parsed, ctx);
}
