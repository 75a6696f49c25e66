import amqplib from 'amqplib';
import { firstAnswering } from '../../amqp/connection.js';
import { declareCore, declareNodeQueue, Exchanges } from '../../amqp/topology.js';
import { InvalidEventError, TransientError } from '../../errors/errors.js';
import { amqpPropertiesFor, buildEvent, EventType, validateEvent, type InterfaceEvent, type InterfaceEventData } from '../../events/index.js';
import { redactText } from '../../log/redact.js';
import { ExitCode } from '../context.js';
import { PUBLISH_SOURCE } from './publish-command.js';

/** The `app_id` a person sees in the management UI for events sent by hand. */
export const PUBLISH_APP_ID = 'multinic-cli';
export { PUBLISH_SOURCE };

/** The flags of `multinic publish attach|detach`, as commander hands them over (strings). */
export interface PublishFlags {
  node: string;
  port: string;
  mac: string;
  subnetId: string;
  subnetName?: string;
  networkId: string;
  cidr: string;
  address?: string;
  mtu?: string;
  crNamespace?: string;
  crName?: string;
  generation?: string;
  source?: string;
  dryRun?: boolean;
}

/** Which flag sets each data field, so a schema error names what the user typed. */
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

/** Rewrites `schema: /data/macAddress ...` so it leads with the flag the user gave. */
function nameFlag(message: string): string {
  const m = /\/data\/(\w+)/.exec(message);
  const flag = m ? FLAG_OF[m[1] as keyof InterfaceEventData] : undefined;
  return flag ? `${flag}: ${message}` : message;
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
  const type = action === 'attach' ? EventType.Attach : EventType.Detach;
  try {
    return validateEvent(buildEvent(type, data, { source: flags.source ?? PUBLISH_SOURCE, now }));
  } catch (err) {
    if (err instanceof InvalidEventError) throw new InvalidEventError(nameFlag(err.message), { cause: err });
    throw err;
  }
}

/**
 * Publishes one event the way the publisher does: declares the contract's topology and
 * the node's queue (so the event waits there even before the agent starts), publishes
 * persistent and mandatory, and waits for the broker's confirm. One short-lived
 * connection; a broker that cannot be reached fails within `timeoutMs`. With several
 * brokers of one cluster (`AMQP_URL` as a list), each is tried in turn until one connects.
 */
export async function publishEvent(urls: string | readonly string[], event: InterfaceEvent, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
  const conn = await firstAnswering(typeof urls === 'string' ? [urls] : urls, (url) =>
    amqplib.connect(url, { timeout: timeoutMs, clientProperties: { connection_name: `${PUBLISH_APP_ID} ${event.data.nodeName}` } }).catch((err: Error) => {
      throw new TransientError(`RabbitMQ at ${redactText(url)} is not reachable: ${redactText(err.message)}`, { cause: err });
    }),
  );
  try {
    const ch = await conn.createConfirmChannel();
    let returned = false;
    ch.on('return', () => {
      returned = true;
    });
    await declareCore(ch);
    await declareNodeQueue(ch, event.data.nodeName);
    ch.publish(Exchanges.Events, event.data.nodeName, Buffer.from(JSON.stringify(event)), amqpPropertiesFor(event, PUBLISH_APP_ID));
    await ch.waitForConfirms();
    // The alternate exchange catches anything unroutable, so a return means the broker lost the binding.
    if (returned) throw new TransientError(`event ${event.id} was returned unroutable by RabbitMQ`);
    await ch.close();
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Where `runPublish` writes; the process streams by default, buffers in tests. */
export interface Output {
  out: Pick<NodeJS.WritableStream, 'write'>;
  err: Pick<NodeJS.WritableStream, 'write'>;
}

/**
 * The whole command as a function: validate, then (unless `dryRun`) publish, print the
 * event id. Returns the exit code: 0 published, 2 bad input (nothing published),
 * 1 the broker failed.
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
    return ExitCode.Failure;
  }
  io.out.write(`${event.id}\n`);
  return ExitCode.Ok;
}
