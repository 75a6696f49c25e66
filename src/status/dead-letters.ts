import { Header } from '../events/amqp-properties.js';
import { DeadLetterHeader } from '../runtime/dead-letter.js';

/** A message of multinic.dead in the shape both readers give (amqplib's properties, or the management API's). */
export interface DeadLetterMessage {
  headers: Record<string, unknown>;
  messageId?: string;
  type?: string;
  /** AMQP timestamp, seconds since the epoch. */
  timestamp?: number;
  /** The body as text. */
  payload: string;
}

/** One dead letter as `status` and `dead-letters list` show it. */
export interface DeadLetterInfo {
  eventId: string | null;
  type: string | null;
  node: string | null;
  port: string | null;
  /** Who put it there: the agent (invalid or permanent failure, `x-multinic-error`) or the broker (`x-death`, e.g. the delivery limit). */
  by: 'agent' | 'broker' | 'unknown';
  reason: string;
  /** The routing key a replay uses: the original one, else the event's node. */
  routingKey: string | null;
  /** ISO time the message was first published, when it says. */
  time: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : Buffer.isBuffer(v) ? v.toString('utf8') : null);

/** The event's data, if the body is a JSON object with one; never throws. */
function dataOf(payload: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(payload) as { data?: unknown };
    return v && typeof v === 'object' && v.data && typeof v.data === 'object' ? (v.data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Explains a dead letter: the agent's one-line reason (`x-multinic-error`), or what the
 * broker recorded in `x-death` (RabbitMQ "Dead Letter Exchanges": reason `delivery_limit`,
 * `rejected`, `expired` or `maxlen`, with the queue and routing keys it came from).
 */
export function describeDeadLetter(m: DeadLetterMessage): DeadLetterInfo {
  const h = m.headers ?? {};
  const data = dataOf(m.payload);
  const deaths = Array.isArray(h['x-death']) ? (h['x-death'] as Array<Record<string, unknown>>) : [];
  const first = deaths[0];
  const agentReason = str(h[DeadLetterHeader.Error]);
  const by = agentReason ? 'agent' : first ? 'broker' : 'unknown';
  const reason =
    agentReason ??
    (first ? `${str(first.reason) ?? 'dead-lettered'} by RabbitMQ from ${str(first.queue) ?? 'a queue'}${Number(first.count) > 1 ? ` (${str(first.count)} times)` : ''}` : 'no reason recorded');
  const keys = first && Array.isArray(first['routing-keys']) ? (first['routing-keys'] as unknown[]).map(str) : [];
  return {
    eventId: m.messageId ?? str(data && (JSON.parse(m.payload) as { id?: unknown }).id),
    type: m.type ?? null,
    node: str(h[Header.Node]) ?? str(data?.nodeName),
    port: str(h[Header.Port]) ?? str(data?.portId),
    by,
    reason,
    routingKey: str(h[DeadLetterHeader.OriginalRoutingKey]) ?? keys[0] ?? str(h[Header.Node]) ?? str(data?.nodeName),
    time: typeof m.timestamp === 'number' ? new Date(m.timestamp * 1000).toISOString() : null,
  };
}

/** Dead letters grouped by reason, most frequent first. */
export function reasonsOf(infos: readonly DeadLetterInfo[]): Array<{ reason: string; count: number }> {
  const counts = new Map<string, number>();
  for (const i of infos) counts.set(i.reason, (counts.get(i.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
