import type { Message, Options } from 'amqplib';
import { publishConfirmed, type ConfirmPublisher } from '../amqp/publisher.js';
import { Exchanges } from '../amqp/topology.js';
import { Header } from '../events/amqp-properties.js';

/** Headers the agent adds to a message it dead-letters itself. */
export const DeadLetterHeader = {
  /** The one-line reason (also `Header.Error` of the event contract). */
  Error: Header.Error,
  OriginalQueue: 'x-multinic-original-queue',
  OriginalExchange: 'x-multinic-original-exchange',
  OriginalRoutingKey: 'x-multinic-original-routing-key',
} as const;

/** Longest reason kept in the header; the full error is in the log line. */
const MAX_REASON_CHARS = 500;

/** Headers the broker sets itself and that would mislead on a copy. */
const BROKER_HEADERS = new Set(['x-delivery-count']);

/** The reason as it goes into `x-multinic-error`: one line, bounded. */
export function oneLineReason(reason: string): string {
  return reason.replace(/[\r\n\t]+/g, ' ').slice(0, MAX_REASON_CHARS) || 'unknown reason';
}

/**
 * Publish options for the dead-letter copy of `msg`: its properties and headers as they
 * arrived (so the management UI shows the same message), persistent, plus the reason and
 * where it came from. `userId` is left out: RabbitMQ refuses a user id that is not the
 * publishing connection's, and the copy is published by the agent, not the original sender.
 * `expiration` is left out so the evidence does not vanish from multinic.dead.
 */
export function deadLetterProperties(msg: Pick<Message, 'properties' | 'fields'>, reason: string, originalQueue: string): Options.Publish {
  const p = msg.properties;
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.headers ?? {})) if (!BROKER_HEADERS.has(k)) headers[k] = v;
  headers[DeadLetterHeader.Error] = oneLineReason(reason);
  headers[DeadLetterHeader.OriginalQueue] = originalQueue;
  headers[DeadLetterHeader.OriginalExchange] = msg.fields.exchange;
  headers[DeadLetterHeader.OriginalRoutingKey] = msg.fields.routingKey;
  const opts: Options.Publish = { persistent: true, headers };
  if (p.contentType !== undefined) opts.contentType = p.contentType;
  if (p.contentEncoding !== undefined) opts.contentEncoding = p.contentEncoding;
  if (p.messageId !== undefined) opts.messageId = p.messageId;
  if (p.correlationId !== undefined) opts.correlationId = p.correlationId;
  if (p.replyTo !== undefined) opts.replyTo = p.replyTo;
  if (p.timestamp !== undefined) opts.timestamp = p.timestamp;
  if (p.type !== undefined) opts.type = p.type;
  if (p.appId !== undefined) opts.appId = p.appId;
  if (p.priority !== undefined) opts.priority = p.priority;
  return opts;
}

/**
 * Publishes a copy of `msg` to the `multinic.dead` exchange with `x-multinic-error`
 * and `x-multinic-original-queue`, and resolves only once the broker confirmed it: the
 * caller acks the original after this and never before, so a message is never lost
 * between the two. Rejects with a TransientError when the channel closed or the broker
 * refused the copy; the original then stays unacknowledged and is redelivered.
 */
export function publishDeadLetter(ch: ConfirmPublisher, msg: Pick<Message, 'content' | 'properties' | 'fields'>, reason: string, originalQueue: string): Promise<void> {
  return publishConfirmed(ch, Exchanges.Dead, '', msg.content, deadLetterProperties(msg, reason, originalQueue), 'the dead-letter copy');
}
