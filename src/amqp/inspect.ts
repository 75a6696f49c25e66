import type { AmqpConnectionManager } from 'amqp-connection-manager';
import { nodeQueueName } from './topology.js';

/** A node queue as the broker reports it to a passive declare (AMQP queue.declare, passive=true). */
export interface NodeQueueState {
  queue: string;
  exists: boolean;
  /** Ready messages (a passive declare does not count unacknowledged ones); 0 when absent. */
  messages: number;
  consumers: number;
}

/**
 * Asks the broker whether `multinic.node.<node>` exists, on a short-lived channel of the
 * connection's current link: RabbitMQ answers a passive declare of a missing queue with
 * 404 NOT_FOUND and closes that channel, which is why it is not the publishing channel.
 * Throws when not connected or on any other failure.
 */
export async function inspectNodeQueue(conn: AmqpConnectionManager, node: string): Promise<NodeQueueState> {
  const link = conn.connection;
  if (!link) throw new Error('not connected to RabbitMQ');
  const queue = nodeQueueName(node);
  const ch = await link.createChannel();
  // The broker closes the channel on 404; amqplib reports that as an 'error' event too.
  ch.on('error', () => undefined);
  try {
    const ok = await ch.checkQueue(queue);
    return { queue, exists: true, messages: ok.messageCount, consumers: ok.consumerCount };
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return { queue, exists: false, messages: 0, consumers: 0 };
    throw err;
  } finally {
    await ch.close().catch(() => undefined);
  }
}
