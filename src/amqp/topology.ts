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
  /** Recent events of every known node, readable with the management UI's *Get messages*. */
  Inspect: 'multinic.inspect',
} as const;

/** Most deliveries of one message before RabbitMQ dead-letters it to multinic.dead (set by NODE_QUEUE_POLICY). */
export const DELIVERY_LIMIT = 10;

/** `multinic.node.<node>`: the queue of one node, bound with routing key = node name. */
export function nodeQueueName(node: string): string {
  return `multinic.node.${node}`;
}

/** The node name of a `multinic.node.<node>` queue, or undefined for any other queue. */
export function nodeOfQueue(queue: string): string | undefined {
  return queue.startsWith('multinic.node.') && queue.length > 'multinic.node.'.length ? queue.slice('multinic.node.'.length) : undefined;
}

/**
 * Arguments every declaration of a node queue carries: only what a policy cannot set.
 * RabbitMQ's quorum queue guide ("Declaring") says the queue type must be given at
 * declaration and cannot be set or changed by a policy; single active consumer is not a
 * policy key either ("Policy Support" lists the keys quorum queues take from policies).
 * Delivery limit and dead-lettering come from NODE_QUEUE_POLICY, so a release can change
 * them without redeclaring a queue that holds messages.
 */
export const NODE_QUEUE_ARGUMENTS = {
  'x-queue-type': 'quorum',
  'x-single-active-consumer': true,
} as const;

/**
 * How releases before the policy (issue 13) declared node queues. Such a queue keeps
 * working: RabbitMQ refuses to redeclare it with NODE_QUEUE_ARGUMENTS (406 inequivalent arg
 * 'x-dead-letter-exchange'), so declarers fall back to these (src/amqp/node-queue.ts); the
 * README's upgrade step says how to move it to the policy.
 */
export const LEGACY_NODE_QUEUE_ARGUMENTS = {
  ...NODE_QUEUE_ARGUMENTS,
  'x-dead-letter-exchange': Exchanges.Dead,
  'x-delivery-limit': DELIVERY_LIMIT,
} as const;

/**
 * The RabbitMQ policy that gives node queues their delivery limit and dead-letter exchange
 * (both keys quorum queues accept from a policy: RabbitMQ quorum queue guide, "Policy
 * Support"). One policy applies to a queue, the one of highest priority (RabbitMQ
 * "Policies" guide), hence a priority above the default 0. Applied by the publisher through
 * the management API (src/amqp/policy.ts) or by `rabbitmqctl set_policy` (README).
 */
export const NODE_QUEUE_POLICY = {
  name: 'multinic-node-queues',
  pattern: '^multinic\\.node\\.',
  applyTo: 'queues',
  priority: 10,
  definition: { 'delivery-limit': DELIVERY_LIMIT, 'dead-letter-exchange': Exchanges.Dead },
} as const;

/** Newest events kept in multinic.inspect; older ones are dropped from its head. */
export const INSPECT_MAX_LENGTH = 1000;

/**
 * multinic.inspect: a classic queue (basic.get works on it, unlike a single-active-consumer
 * quorum queue, which answers 405 RESOURCE_LOCKED) bounded to the newest INSPECT_MAX_LENGTH
 * messages; `drop-head` discards the oldest (RabbitMQ "Queue Length Limit" guide). Nobody
 * consumes it: it is read in the management UI with *Get messages*.
 */
export const INSPECT_QUEUE_ARGUMENTS = {
  'x-queue-type': 'classic',
  'x-max-length': INSPECT_MAX_LENGTH,
  'x-overflow': 'drop-head',
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
  await ch.assertQueue(Queues.Inspect, { durable: true, arguments: { ...INSPECT_QUEUE_ARGUMENTS } });
}

/**
 * Binds multinic.inspect to multinic.events for one node's routing key. A direct exchange
 * routes by exact key, so the inspection queue needs a binding per known node; events for
 * names no node queue is bound to still reach multinic.unroutable (the alternate exchange),
 * which is classic and readable in the UI too.
 */
export async function bindInspect(ch: Channel, node: string): Promise<void> {
  await ch.bindQueue(Queues.Inspect, Exchanges.Events, node);
}

/** Declares one node's queue with the contract arguments and binds it; idempotent. Throws RabbitMQ's 406 on a queue declared otherwise. */
export async function declareNodeQueue(ch: Channel, node: string): Promise<string> {
  const queue = nodeQueueName(node);
  await ch.assertQueue(queue, { durable: true, arguments: { ...NODE_QUEUE_ARGUMENTS } });
  await ch.bindQueue(queue, Exchanges.Events, node);
  return queue;
}
