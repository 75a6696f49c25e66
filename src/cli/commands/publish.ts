import { connectAmqp, firstAnswering, type AmqpConnectionManager } from '../../amqp/connection.js';
import { createAmqpBroker } from '../../amqp/publisher.js';
import { InvalidEventError, TransientError, UnroutableError } from '../../errors/errors.js';
import { buildEvent, checkDataSchema, EventType, validateEvent, type InterfaceEvent, type InterfaceEventData } from '../../events/index.js';
import { redactText } from '../../log/redact.js';
import { ExitCode } from '../context.js';
import { PUBLISH_APP_ID, PUBLISH_SOURCE, type PublishFlags } from './publish-flags.js';

export { PUBLISH_APP_ID, PUBLISH_SOURCE, type PublishFlags };

/** Which flag sets each data field, so a schema problem names what the user typed. */
const FLAG_OF: Record<keyof InterfaceEventData, string> = {
  nodeName: '--node',
  portId: '--port',
  macAddress: '--mac',
  subnetId: '--subnet-id',
  subnetName: '--subnet-name',
  networkId: '--network-id',
  cidr: '--cidr',
  address: '--address',
  mtu: '--mtu',
  crNamespace: '--cr-namespace',
  crName: '--cr-name',
  generation: '--generation',
};

function integerFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,16}$/.test(text.trim())) throw new InvalidEventError(`${flag} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text.trim());
}

/**
 * Turns the flags into a validated event with the same builder and validator the
 * publisher and agent use. Throws an InvalidEventError whose message is one line that
 * names the offending flag. `generation` defaults to `now()` in milliseconds, so an
 * event sent by hand is newer than any row version already applied.
 */
export function eventFromFlags(action: 'attach' | 'detach', flags: PublishFlags, now: () => Date = () => new Date()): InterfaceEvent {
  const data: InterfaceEventData = {
    nodeName: flags.node,
    portId: flags.port,
    macAddress: flags.mac,
    subnetId: flags.subnetId,
    subnetName: flags.subnetName ?? '',
    networkId: flags.networkId,
    cidr: flags.cidr,
    address: flags.address === undefined || flags.address === '' ? null : flags.address,
    mtu: integerFlag('--mtu', flags.mtu) ?? null,
    crNamespace: flags.crNamespace ?? null,
    crName: flags.crName ?? null,
    generation: integerFlag('--generation', flags.generation) ?? now().getTime(),
  };
  const problem = checkDataSchema(data);
  if (problem) throw new InvalidEventError(`${problem.field ? FLAG_OF[problem.field] : 'the flags'} ${problem.reason}`);
  const type = action === 'attach' ? EventType.Attach : EventType.Detach;
  return validateEvent(buildEvent(type, data, { source: flags.source ?? PUBLISH_SOURCE, now }));
}

/**
 * Publishes one event the way the publisher does, through the same adapter
 * (src/amqp/publisher.ts): declares the contract's exchanges, checks passively that the
 * node's queue exists — it creates none: queues belong to node_table's nodes, declared by
 * the publisher and the node's agent — publishes persistent and mandatory, and waits for
 * the broker's confirm. Throws UnroutableError (nothing published) when the node has no
 * queue. One short-lived connection; a broker that refuses or cannot be reached fails at
 * the first attempt, and one that does not answer within `timeoutMs`. With several
 * brokers of one cluster (`AMQP_URL` as a list) each is tried in turn, each within
 * `timeoutMs`, and every failure is named when none answers.
 */
export async function publishEvent(urls: string | readonly string[], event: InterfaceEvent, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  // One broker at a time, in the configured order: a one-shot command wants the first
  // that answers, not amqp-connection-manager's endless round-robin.
  const conn = await firstAnswering(typeof urls === 'string' ? [urls] : urls, async (url) => {
    const candidate = connectAmqp(url, { connectionName: `${PUBLISH_APP_ID} ${event.data.nodeName}`, log: quiet });
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
      await broker.checkNodes([event.data.nodeName]);
      await broker.publish(event);
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

/**
 * The whole command as a function: validate, then (unless `dryRun`) publish, print the
 * event id. Returns the exit code: 0 published, 2 bad input or a node with no queue
 * (nothing published), 1 the broker failed.
 */
export async function runPublish(
  action: 'attach' | 'detach',
  flags: PublishFlags,
  { amqpUrl, io = { out: process.stdout, err: process.stderr }, now }: { amqpUrl: string | readonly string[]; io?: Output; now?: () => Date },
): Promise<number> {
  let event: InterfaceEvent;
  try {
    event = eventFromFlags(action, flags, now);
  } catch (err) {
    if (!(err instanceof InvalidEventError)) throw err;
    io.err.write(`multinic publish: invalid event, nothing published: ${err.message}\n`);
    return ExitCode.Usage;
  }
  if (flags.dryRun) {
    io.out.write(`${JSON.stringify(event, null, 2)}\n`);
    return ExitCode.Ok;
  }
  try {
    await publishEvent(amqpUrl, event);
  } catch (err) {
    io.err.write(`multinic publish: ${(err as Error).message}\n`);
    // A node with no queue is bad input, like a bad flag: nothing was published.
    return err instanceof UnroutableError ? ExitCode.Usage : ExitCode.Failure;
  }
  io.out.write(`${event.id}\n`);
  return ExitCode.Ok;
}
