import { openDeadLetterSession, type DeadLetterSession, type HeldDeadLetter } from '../../amqp/dead-letter-queue.js';
import { sameNode } from '../../model/node-identity.js';
import { describeDeadLetter, type DeadLetterInfo } from '../../status/dead-letters.js';
import { formatAge } from '../../status/rows.js';
import { table } from '../../status/table.js';
import { ExitCode } from '../context.js';
import type { Output } from './publish.js';

/** The flags of `multinic dead-letters list|replay|purge`, as commander hands them over. */
export interface DeadLetterFlags {
  node?: string;
  reason?: string;
  id?: string;
  limit: string;
  output: 'text' | 'wide' | 'json';
  yes?: boolean;
}

export type DeadLetterAction = 'list' | 'replay' | 'purge';

/** One dead letter as held in a session, with its description. */
interface Held {
  message: HeldDeadLetter;
  info: DeadLetterInfo;
}

const infoOf = (m: HeldDeadLetter): DeadLetterInfo =>
  describeDeadLetter({ headers: m.properties.headers ?? {}, messageId: m.properties.messageId, type: m.properties.type, timestamp: m.properties.timestamp, payload: m.content.toString('utf8') });

/** True when the dead letter passes every filter given: node (any spelling, the node-identity rule), event id (exact), reason (substring, any case). */
export function matches(info: DeadLetterInfo, { node, reason, id }: Pick<DeadLetterFlags, 'node' | 'reason' | 'id'>): boolean {
  return (node === undefined || (info.node !== null && (info.node === node || sameNode(info.node, node)))) && (id === undefined || info.eventId === id) && (reason === undefined || info.reason.toLowerCase().includes(reason.toLowerCase()));
}

/** The dead letters as a table; `wide` adds the event id and the routing key a replay uses. */
export function formatDeadLetters(infos: readonly DeadLetterInfo[], { wide = false, now = new Date() } = {}): string {
  const header = ['#', 'AGE', 'NODE', 'PORT', 'TYPE', 'BY', ...(wide ? ['EVENT ID', 'ROUTING KEY'] : []), 'REASON'];
  const rows = infos.map((i, k) => [
    String(k + 1), i.time ? formatAge(now.getTime() - Date.parse(i.time)) : '-', i.node ?? '-', i.port ?? '-', i.type?.split('.').at(-1) ?? '-', i.by,
    ...(wide ? [i.eventId ?? '-', i.routingKey ?? '-'] : []), i.reason,
  ]);
  return `${table(header, rows)}\n`;
}

/** Asks on a terminal; resolves true only for `yes`. */
export type Confirm = (question: string) => Promise<boolean>;

/**
 * The whole command as a function over an opened session: take up to `limit` dead letters,
 * keep the ones matching the filters, then list them, or (after confirmation: `--yes`, or
 * `confirm` answering yes) replay them to multinic.events under their original routing key
 * or purge them. Whatever is not replayed or purged goes back to multinic.dead when the
 * session closes. Returns the exit code: 0 done (also nothing matched), 2 refused (not
 * confirmed, or no terminal to ask on and no --yes), 1 RabbitMQ failed.
 */
export async function runDeadLetters(
  action: DeadLetterAction,
  flags: DeadLetterFlags,
  { session, io, confirm, now = () => new Date() }: { session: DeadLetterSession; io: Output; confirm?: Confirm; now?: () => Date },
): Promise<number> {
  const json = flags.output === 'json';
  const held: Held[] = (await session.take(Number(flags.limit))).map((message) => ({ message, info: infoOf(message) }));
  const chosen = held.filter((h) => matches(h.info, flags));
  const infos = chosen.map((h) => h.info);
  const scope = `${chosen.length} of the ${held.length} dead letter(s) read from multinic.dead${held.length === Number(flags.limit) ? ` (the first ${flags.limit}: --limit reads more)` : ''}`;
  if (action === 'list' || chosen.length === 0) {
    if (json) io.out.write(`${JSON.stringify({ read: held.length, matched: infos }, null, 2)}\n`);
    else io.out.write(chosen.length ? formatDeadLetters(infos, { wide: flags.output === 'wide', now: now() }) : '');
    io.err.write(`${scope} ${action === 'list' ? 'shown; all left in place' : `matched: nothing to ${action}`}\n`);
    return ExitCode.Ok;
  }
  const unroutable = chosen.filter((h) => action === 'replay' && h.info.routingKey === null);
  if (!json) io.out.write(formatDeadLetters(infos, { wide: flags.output === 'wide', now: now() }));
  const verb = action === 'replay' ? 'replay to multinic.events (each under its original routing key)' : 'delete for good';
  if (!flags.yes) {
    if (!confirm) {
      io.err.write(`multinic dead-letters ${action}: ${scope} would be ${action === 'replay' ? 'replayed' : 'purged'}; refusing without --yes (no terminal to ask on)\n`);
      return ExitCode.Usage;
    }
    if (!(await confirm(`${verb}: ${chosen.length} dead letter(s)? Type yes to go on: `))) {
      io.err.write(`multinic dead-letters ${action}: not confirmed; nothing changed\n`);
      return ExitCode.Usage;
    }
  }
  const done: DeadLetterInfo[] = [];
  for (const h of chosen) {
    if (unroutable.includes(h)) continue;
    if (action === 'replay') await session.replay(h.message, h.info.routingKey!);
    else session.drop(h.message);
    done.push(h.info);
  }
  if (json) io.out.write(`${JSON.stringify({ read: held.length, [action === 'replay' ? 'replayed' : 'purged']: done, skipped: unroutable.map((h) => h.info) }, null, 2)}\n`);
  io.err.write(
    `${action === 'replay' ? 'replayed' : 'purged'} ${done.length} dead letter(s)${unroutable.length ? `; ${unroutable.length} left: no routing key (neither x-multinic-original-routing-key, x-death nor a node in the event)` : ''}; ${held.length - done.length} left in multinic.dead\n`,
  );
  if (action === 'replay' && done.length) io.err.write('  -> a replayed event whose cause is not fixed comes back to multinic.dead; `multinic status` shows the rows\n');
  return ExitCode.Ok;
}

export { openDeadLetterSession };
