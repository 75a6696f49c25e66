import type { Channel } from 'amqplib';

/**
 * The RabbitMQ names and arguments of the public contract (docs/DESIGN.md). Everyone who
 * declares these — publisher, agent, `multinic publish`, tests — uses this module, so
 * a declaration can never disagree with another (RabbitMQ answers 406 if it does).
 */
export const Exchanges = {
  Events: 'multinic.events',
  Dead: 'multinic.dead',
  Unroutable: 'multinic.unroutable',
} as const;

export const Queues = {
  Dead: 'multinic.dead',
  Unroutable: 'multinic.unroutable',
} as const;

/** Most deliveries of one message before RabbitMQ dead-letters it to multinic.dead. */
export const DELIVERY_LIMIT = 10;

/** `multinic.node.<node>`: the queue of one node, bound with routing key = node name. */
export function nodeQueueName(node: string): string {
  return `multinic.node.${node}`;
}

/** Arguments every declaration of a node queue must carry, exactly. */
export const NODE_QUEUE_ARGUMENTS = {
  'x-queue-type': 'quorum',
  'x-single-active-consumer': true,
  'x-dead-letter-exchange': Exchanges.Dead,
  'x-delivery-limit': DELIVERY_LIMIT,
} as const;

/** Declares the exchanges and side queues of the contract; idempotent. */
export async function declareCore(ch: Channel): Promise<void> {
  await ch.assertExchange(Exchanges.Unroutable, 'fanout', { durable: true });
  await ch.assertQueue(Queues.Unroutable, { durable: true });
  await ch.bindQueue(Queues.Unroutable, Exchanges.Unroutable, '');
  await ch.assertExchange(Exchanges.Dead, 'fanout', { durable: true });
  await ch.assertQueue(Queues.Dead, { durable: true });
  await ch.bindQueue(Queues.Dead, Exchanges.Dead, '');
  await ch.assertExchange(Exchanges.Events, 'direct', {
    durable: true,
    alternateExchange: Exchanges.Unroutable,
  });
}

/** Declares one node's queue with the contract arguments and binds it; idempotent. */
export async function declareNodeQueue(ch: Channel, node: string): Promise<string> {
  const queue = nodeQueueName(node);
  await ch.assertQueue(queue, { durable: true, arguments: { ...NODE_QUEUE_ARGUMENTS } });
  await ch.bindQueue(queue, Exchanges.Events, node);
  return queue;
}
