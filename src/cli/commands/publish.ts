import { connectAmqp, firstAnswering, type AmqpConnectionManager } from '../../amqp/connection.js';
import { createAmqpBroker } from '../../amqp/publisher.js';
import { Exchanges, nodeQueueName } from '../../amqp/topology.js';
import { InvalidEventError, TransientError, UnroutableError } from '../../errors/errors.js';
import type { InterfaceEvent } from '../../events/index.js';
import { redactText } from '../../log/redact.js';
import type { InterfaceRowWithSubnet } from '../../model/row-data.js';
import { ExitCode } from '../context.js';
import { detachNeedsRow, eventFromFlags, fillDetachFromRow, FlagProblemsError } from './publish-event.js';
import { PUBLISH_APP_ID, PUBLISH_SOURCE, type PublishFlags } from './publish-flags.js';

export { eventFromFlags, FlagProblemsError, PUBLISH_APP_ID, PUBLISH_SOURCE, type PublishFlags };

/** Where a published event went: always the node's queue, since a node without one is refused. */
export interface PublishReceipt {
  exchange: string;
  routingKey: string;
  /** `multinic.node.<node>`. */
  queue: string;
  /** Consumers of the node's queue when it was published (an agent attached: 1). */
  consumers: number;
}

/**
 * Publishes one event the way the publisher does, through the same adapter
 * (src/amqp/publisher.ts): declares the contract's exchanges, checks passively that the
 * node's queue exists — it creates none: queues belong to node_table's nodes, declared by
 * the publisher and the node's agent — publishes persistent and mandatory, and waits for
 * the broker's confirm. Returns where it went. Throws UnroutableError (nothing published)
 * when the node has no queue. One short-lived connection; a broker that refuses or cannot
 * be reached fails at the first attempt, and one that does not answer within `timeoutMs`.
 * With several brokers of one cluster (`AMQP_URL` as a list) each is tried in turn, each
 * within `timeoutMs`, and every failure is named when none answers.
 */
export async function publishEvent(urls: string | readonly string[], event: InterfaceEvent, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<PublishReceipt> {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const node = event.data.nodeName;
  // One broker at a time, in the configured order: a one-shot command wants the first
  // that answers, not amqp-connection-manager's endless round-robin.
  const conn = await firstAnswering(typeof urls === 'string' ? [urls] : urls, async (url) => {
    const candidate = connectAmqp(url, { connectionName: `${PUBLISH_APP_ID} ${node}`, log: quiet });
    try {
      await firstConnect(candidate, timeoutMs);
      return candidate;
    } catch (err) {
      await candidate.close().catch(() => undefined);
      throw new TransientError(`RabbitMQ at ${redactText(url)} is not reachable: ${redactText((err as Error).message)}`, { cause: err });
    }
  });
  try {
    const broker = createAmqpBroker(conn, { appId: PUBLISH_APP_ID, publishTimeoutMs: timeoutMs, log: quiet });
    try {
      await broker.checkNodes([node]);
      // Read before publishing, for the receipt's consumers; a queue gone by now makes the publish refuse.
      const depth = await broker.queueDepth(node);
      await broker.publish(event);
      return { exchange: Exchanges.Events, routingKey: node, queue: nodeQueueName(node), consumers: depth?.consumers ?? 0 };
    } finally {
      await broker.close().catch(() => undefined);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Resolves on the first connection; rejects on the first failure instead of retrying, or after `timeoutMs`. */
function firstConnect(conn: AmqpConnectionManager, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    conn.once('connect', () => (clearTimeout(timer), resolve()));
    conn.once('connectFailed', ({ err }: { err?: Error }) => (clearTimeout(timer), reject(err ?? new Error('connection failed'))));
  });
}

/** Where `runPublish` writes; the process streams by default, buffers in tests. */
export interface Output {
  out: Pick<NodeJS.WritableStream, 'write'>;
  err: Pick<NodeJS.WritableStream, 'write'>;
}

/** What was sent and where it went, for a person (stderr). */
export function describeReceipt(event: InterfaceEvent, r: PublishReceipt): string {
  const d = event.data;
  const lines = [
    `published ${event.type} ${event.id}`,
    `  port ${d.portId} on node ${d.nodeName}: MAC ${d.macAddress}, ${d.cidr}${d.address ? ` address ${d.address}` : ' (DHCP)'}${d.mtu ? ` MTU ${d.mtu}` : ''}, generation ${d.generation}`,
    `  to exchange ${r.exchange}, routing key ${r.routingKey}, confirmed by RabbitMQ`,
    `  -> queue ${r.queue}, ${r.consumers > 0 ? 'an agent is consuming' : 'no agent consuming yet: it waits there'}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The whole command as a function: (for a detach missing fields, read the port's row)
 * validate, then (unless `dryRun`) publish. Prints the event id on stdout (for scripts)
 * and what was sent and where it went on stderr; `output: 'json'` prints
 * `{ event, receipt }` on stdout instead. Returns the exit code: 0 published, 2 bad input
 * (every problem listed) or a node with no queue, nothing published either way, 1 the
 * broker or the database failed.
 */
export async function runPublish(
  action: 'attach' | 'detach',
  flags: PublishFlags,
  {
    amqpUrl,
    io = { out: process.stdout, err: process.stderr },
    now,
    readRow,
  }: { amqpUrl: string | readonly string[]; io?: Output; now?: () => Date; readRow?: (portId: string) => Promise<InterfaceRowWithSubnet | undefined> },
): Promise<number> {
  const json = flags.output === 'json';
  let filled = flags;
  if (action === 'detach' && detachNeedsRow(flags) && readRow) {
    try {
      filled = fillDetachFromRow(flags, await readRow(flags.port));
    } catch (err) {
      io.err.write(`multinic publish: cannot read port ${JSON.stringify(flags.port)} from the database to complete the detach (${redactText((err as Error).message)}); give --mac, --subnet-id, --network-id and --cidr, or fix the database settings\n`);
      return ExitCode.Failure;
    }
  }
  let event: InterfaceEvent;
  try {
    event = eventFromFlags(action, filled, now);
  } catch (err) {
    if (!(err instanceof InvalidEventError)) throw err;
    io.err.write(`multinic publish: invalid event, nothing published: ${err.message}\n`);
    return ExitCode.Usage;
  }
  if (flags.dryRun) {
    io.out.write(`${JSON.stringify(event, null, 2)}\n`);
    return ExitCode.Ok;
  }
  let receipt: PublishReceipt;
  try {
    receipt = await publishEvent(amqpUrl, event);
  } catch (err) {
    // A node with no queue is bad input, like a bad flag: nothing was published.
    if (err instanceof UnroutableError) {
      io.err.write(`multinic publish: ${err.message}; compare the name with node_table's (multinic status)\n`);
      return ExitCode.Usage;
    }
    io.err.write(`multinic publish: ${(err as Error).message}\n`);
    return ExitCode.Failure;
  }
  if (json) io.out.write(`${JSON.stringify({ event, receipt }, null, 2)}\n`);
  else {
    io.out.write(`${event.id}\n`);
    io.err.write(describeReceipt(event, receipt));
  }
  return ExitCode.Ok;
}
