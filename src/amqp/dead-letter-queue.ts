import amqplib, { type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
import { TransientError } from '../errors/errors.js';
import { redactText } from '../log/redact.js';
import { firstAnswering } from './connection.js';
import { publishConfirmed } from './publisher.js';
import { Exchanges, Queues } from './topology.js';

/** A message taken from multinic.dead, in our own terms (callers above the adapters never see amqplib's types). */
export interface HeldDeadLetter {
  content: Buffer;
  properties: { headers?: Record<string, unknown>; messageId?: string; type?: string; timestamp?: number };
}

/** Headers that describe the death, not the event: dropped from a replayed copy (RabbitMQ's x-death family and the agent's). */
const DEATH_HEADER = /^(x-death|x-first-death-|x-last-death-|x-delivery-count$|x-multinic-error$|x-multinic-original-)/;

/** The publish options of a replayed dead letter: its properties as they were, persistent and mandatory, without the death headers. */
export function replayProperties(m: Pick<GetMessage, 'properties'>): Options.Publish {
  const p = m.properties;
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.headers ?? {})) if (!DEATH_HEADER.test(k)) headers[k] = v;
  const opts: Options.Publish = { persistent: true, mandatory: true, headers };
  for (const key of ['contentType', 'contentEncoding', 'messageId', 'correlationId', 'timestamp', 'type', 'appId'] as const) {
    if (p[key] !== undefined) (opts as Record<string, unknown>)[key] = p[key];
  }
  return opts;
}

/**
 * multinic.dead held open for inspection and repair (`multinic dead-letters`): messages
 * are taken with basic.get and NOT acknowledged, so whatever is neither replayed nor
 * dropped goes back to the queue when the session closes (or the process dies) — RabbitMQ
 * requeues unacknowledged messages of a closed channel ("Consumer Acknowledgements and
 * Publisher Confirms"). A replay is acknowledged only after the broker confirmed the copy.
 */
export interface DeadLetterSession {
  /** Takes up to `limit` messages (fewer when the queue runs out); they stay unacknowledged. */
  take(limit: number): Promise<HeldDeadLetter[]>;
  /** Publishes `m` again to multinic.events with `routingKey` (confirmed), then acknowledges it in multinic.dead. */
  replay(m: HeldDeadLetter, routingKey: string): Promise<void>;
  /** Acknowledges `m`: it leaves multinic.dead for good. */
  drop(m: HeldDeadLetter): void;
  /** Closes; every message taken and not replayed or dropped is back in multinic.dead. */
  close(): Promise<void>;
}

/**
 * Opens one connection and confirm channel to the first of `urls` (the brokers of one
 * cluster, AMQP_URL) that accepts it, trying each in turn; a TransientError naming RabbitMQ
 * (passwords redacted, every failure listed) when none does.
 */
export async function openDeadLetterSession(urls: string | readonly string[], { connectionName = 'multinic-cli dead-letters' }: { connectionName?: string } = {}): Promise<DeadLetterSession> {
  const conn = await firstAnswering(typeof urls === 'string' ? [urls] : urls, async (url) => {
    try {
      return await amqplib.connect(url, { clientProperties: { connection_name: connectionName } });
    } catch (err) {
      throw new TransientError(`RabbitMQ at ${redactText(url)} is not reachable: ${redactText((err as Error).message)}`, { cause: err });
    }
  });
  const ch: ConfirmChannel = await conn.createConfirmChannel();
  await ch.checkQueue(Queues.Dead);
  return {
    async take(limit) {
      const taken: GetMessage[] = [];
      while (taken.length < limit) {
        const m = await ch.get(Queues.Dead, { noAck: false });
        if (!m) break;
        taken.push(m);
      }
      return taken;
    },
    async replay(m, routingKey) {
      await publishConfirmed(ch, Exchanges.Events, routingKey, m.content, replayProperties(m as GetMessage), 'the replayed dead letter');
      ch.ack(m as GetMessage);
    },
    drop: (m) => ch.ack(m as GetMessage),
    async close() {
      await ch.close().catch(() => undefined);
      await conn.close().catch(() => undefined);
    },
  };
}
