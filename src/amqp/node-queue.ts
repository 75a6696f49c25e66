import type { Channel } from 'amqplib';
import { PermanentError } from '../errors/errors.js';
import { bindInspect, Exchanges, LEGACY_NODE_QUEUE_ARGUMENTS, NODE_QUEUE_ARGUMENTS, nodeQueueName } from './topology.js';

/** What opens a channel: amqplib's ChannelModel (amqp-connection-manager's `connection`). */
export interface ChannelSource {
  createChannel(): Promise<Channel>;
}

/** A node queue that could be used: declared with the contract's arguments or the pre-policy ones. */
export interface UsableNodeQueue {
  ok: true;
  queue: string;
  /** Declared the old way (LEGACY_NODE_QUEUE_ARGUMENTS): works, see the README's upgrade step. */
  legacy: boolean;
}

/** A node queue declared elsewhere with arguments MultiNIC cannot use; `message` says what and how to fix it. */
export interface UnusableNodeQueue {
  ok: false;
  queue: string;
  /** The argument RabbitMQ named in its 406, e.g. `x-queue-type`; undefined if it named none. */
  argument: string | undefined;
  /** One line: the queue, the argument, RabbitMQ's words, the fix. */
  message: string;
}

export type NodeQueueDeclaration = UsableNodeQueue | UnusableNodeQueue;

/** The agent facing an unusable queue: permanent until an operator fixes the queue. */
export class InequivalentQueueError extends PermanentError {
  override name = 'InequivalentQueueError';
  constructor(readonly declaration: UnusableNodeQueue) {
    super(declaration.message);
  }
}

/** Arguments a pre-policy release set and the policy now sets: a 406 on one of them may be a legacy queue. */
const POLICY_MANAGED = new Set(['x-dead-letter-exchange', 'x-delivery-limit']);

/** AMQP 406 PRECONDITION_FAILED: the queue exists with other arguments. */
const isPreconditionFailed = (err: unknown) => (err as { code?: number }).code === 406;

/**
 * RabbitMQ's 406 text, e.g. `inequivalent arg 'x-dead-letter-exchange' for queue 'q' in
 * vhost 'v': received none but current is the value 'multinic.dead' of type 'longstr'`.
 */
export function parseInequivalentArg(message: string): { argument: string | undefined; detail: string } {
  const m = /inequivalent arg '([^']+)'[^:]*:\s*(.*?)"?$/.exec(message);
  return m ? { argument: m[1], detail: m[2]!.trim() } : { argument: undefined, detail: message.replace(/^.*PRECONDITION_FAILED - /, '').replace(/"$/, '') };
}

function unusable(queue: string, err: Error): UnusableNodeQueue {
  const { argument, detail } = parseInequivalentArg(err.message);
  const what = argument ? `argument ${argument} differs (${detail})` : detail;
  return {
    ok: false,
    queue,
    argument,
    message:
      `queue ${queue} exists with arguments MultiNIC cannot use: ${what}. It needs x-queue-type=quorum and ` +
      `x-single-active-consumer=true. Fix: stop this node's agent, move any messages you need out of the queue, ` +
      `delete it (rabbitmqctl delete_queue -p <vhost> ${queue}, or Delete in the management UI) and MultiNIC declares it ` +
      'again; the node\'s rows wait in the database meanwhile (README, "Upgrading node queues")',
  };
}

/** Declares and binds on a channel of its own, so a 406 closes that channel only. */
async function attempt(source: ChannelSource, queue: string, node: string, args: Record<string, unknown>, inspect: boolean): Promise<void> {
  const ch = await source.createChannel();
  // A 406 closes the channel with an error event; without a listener it would be thrown.
  ch.on('error', () => undefined);
  let failed = false;
  try {
    await ch.assertQueue(queue, { durable: true, arguments: args });
    await ch.bindQueue(queue, Exchanges.Events, node);
    if (inspect) await bindInspect(ch, node);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    if (!failed) await ch.close().catch(() => undefined);
  }
}

/**
 * Declares `multinic.node.<node>` and binds it to multinic.events, each try on a channel of
 * its own, so a queue declared elsewhere with other arguments costs this node only — never
 * the caller's channel or other nodes. Tries NODE_QUEUE_ARGUMENTS; on a 406 about an
 * argument the policy now sets, LEGACY_NODE_QUEUE_ARGUMENTS (a queue of an older release);
 * otherwise reports the queue unusable with the argument RabbitMQ named and the fix.
 * `inspect` also binds multinic.inspect for this node's key. Throws any other failure
 * (connection lost, 403) unchanged.
 */
export async function declareNodeQueueIsolated(source: ChannelSource, node: string, { inspect = false }: { inspect?: boolean } = {}): Promise<NodeQueueDeclaration> {
  const queue = nodeQueueName(node);
  try {
    await attempt(source, queue, node, { ...NODE_QUEUE_ARGUMENTS }, inspect);
    return { ok: true, queue, legacy: false };
  } catch (err) {
    if (!isPreconditionFailed(err)) throw err;
    const first = unusable(queue, err as Error);
    if (!first.argument || !POLICY_MANAGED.has(first.argument)) return first;
    try {
      await attempt(source, queue, node, { ...LEGACY_NODE_QUEUE_ARGUMENTS }, inspect);
      return { ok: true, queue, legacy: true };
    } catch (err2) {
      if (!isPreconditionFailed(err2)) throw err2;
      return first;
    }
  }
}

/** A node queue's depth as a passive declare reports it: ready messages and consumers. */
export interface QueueDepth {
  messages: number;
  consumers: number;
}

/**
 * Passive declare (queue.declare passive=true) of `multinic.node.<node>` on a channel of
 * its own: the ready messages and consumers, or undefined when the queue does not exist
 * (RabbitMQ answers 404, which closes only that channel). Creates nothing.
 */
export async function checkNodeQueue(source: ChannelSource, node: string): Promise<QueueDepth | undefined> {
  const ch = await source.createChannel();
  ch.on('error', () => undefined);
  try {
    const q = await ch.checkQueue(nodeQueueName(node));
    await ch.close().catch(() => undefined);
    return { messages: q.messageCount, consumers: q.consumerCount };
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}
