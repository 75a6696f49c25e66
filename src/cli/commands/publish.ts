import { connectAmqp, type AmqpConnectionManager } from '../../amqp/connection.js';
import { inspectNodeQueue } from '../../amqp/inspect.js';
import { createAmqpBroker } from '../../amqp/publisher.js';
import { Exchanges, Queues } from '../../amqp/topology.js';
import { InvalidEventError, TransientError } from '../../errors/errors.js';
import type { InterfaceEvent } from '../../events/index.js';
import { redactText } from '../../log/redact.js';
import type { InterfaceRowWithSubnet } from '../../model/row-data.js';
import { ExitCode } from '../context.js';
import { detachNeedsRow, eventFromFlags, fillDetachFromRow, FlagProblemsError } from './publish-event.js';
import { PUBLISH_APP_ID, PUBLISH_SOURCE, type PublishFlags } from './publish-flags.js';

export { eventFromFlags, FlagProblemsError, PUBLISH_APP_ID, PUBLISH_SOURCE, type PublishFlags };

/** Where a published event went: the node's queue, or multinic.unroutable (the events exchange's alternate exchange). */
export interface PublishReceipt {
  exchange: string;
  routingKey: string;
  /** `multinic.node.<node>` when it existed, else `multinic.unroutable`. */
  queue: string;
  unroutable: boolean;
  /** True when this command declared the node's queue (--declare-queue). */
  declaredQueue: boolean;
  /** Consumers of the node's queue when it was published (an agent attached: 1). */
  consumers: number;
}

/**
 * Publishes one event the way the publisher does, through the same adapter
 * (src/amqp/publisher.ts): declares the contract's topology (and, with `declareQueue`, the
 * node's queue, so the event waits there for an agent that never ran), checks whether the
 * node's queue exists, publishes persistent and mandatory, and waits for the broker's
 * confirm. Without a node queue RabbitMQ routes the event to the alternate exchange
 * multinic.unroutable, and the receipt says so. One short-lived connection; a broker that
 * refuses or cannot be reached fails at the first attempt, and one that does not answer
 * within `timeoutMs`.
 */
export async function publishEvent(url: string, event: InterfaceEvent, { timeoutMs = 10_000, declareQueue = false }: { timeoutMs?: number; declareQueue?: boolean } = {}): Promise<PublishReceipt> {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const node = event.data.nodeName;
  const conn = connectAmqp(url, { connectionName: `${PUBLISH_APP_ID} ${node}`, log: quiet });
  try {
    await firstConnect(conn, timeoutMs).catch((err: unknown) => {
      throw new TransientError(`RabbitMQ at ${redactText(url)} is not reachable: ${redactText((err as Error).message)}`, { cause: err });
    });
    const broker = createAmqpBroker(conn, { appId: PUBLISH_APP_ID, publishTimeoutMs: timeoutMs, log: quiet });
    try {
      await broker.ready();
      if (declareQueue) await broker.declareNodes([node]);
      const state = await inspectNodeQueue(conn, node);
      await broker.publish(event);
      return {
        exchange: Exchanges.Events,
        routingKey: node,
        queue: state.exists ? state.queue : Queues.Unroutable,
        unroutable: !state.exists,
        declaredQueue: declareQueue,
        consumers: state.consumers,
      };
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
  ];
  if (r.unroutable) {
    lines.push(`  UNROUTABLE: no queue multinic.node.${d.nodeName}, so it waits in ${Queues.Unroutable} and no agent receives it`);
    lines.push('  -> check the node name against node_table (`multinic status`), or publish again with --declare-queue for a node whose agent has not run yet');
  } else {
    lines.push(`  -> queue ${r.queue}${r.declaredQueue ? ' (declared by this command)' : ''}, ${r.consumers > 0 ? 'an agent is consuming' : 'no agent consuming yet: it waits there'}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The whole command as a function: (for a detach missing fields, read the port's row)
 * validate, then (unless `dryRun`) publish. Prints the event id on stdout (for scripts)
 * and what was sent and where it went on stderr; `output: 'json'` prints
 * `{ event, receipt }` on stdout instead. Returns the exit code: 0 published (also when
 * unroutable: the broker took it), 2 bad input (nothing published, every problem listed),
 * 1 the broker or the database failed.
 */
export async function runPublish(
  action: 'attach' | 'detach',
  flags: PublishFlags,
  {
    amqpUrl,
    io = { out: process.stdout, err: process.stderr },
    now,
    readRow,
  }: { amqpUrl: string; io?: Output; now?: () => Date; readRow?: (portId: string) => Promise<InterfaceRowWithSubnet | undefined> },
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
    receipt = await publishEvent(amqpUrl, event, { declareQueue: flags.declareQueue === true });
  } catch (err) {
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
