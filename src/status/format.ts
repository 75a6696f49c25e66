import { formatAge, type RowStatus } from './rows.js';
import type { StatusDetails } from './details.js';
import { formatStatus, type StatusReport } from './report.js';
import { table } from './table.js';

/** `multinic status -o text|wide|json` prints this: the per-node report and its details. */
export type FullStatus = StatusReport & StatusDetails;

/** How `formatFullStatus` prints. */
export interface FormatOptions {
  /** `-o wide`: MAC, address, CR and generation columns, and each queue's name. */
  wide?: boolean;
  /** `--cr NAMESPACE/NAME`: the rows are that CR's interfaces across nodes, all states. */
  cr?: string;
  now?: Date;
}

function rowsTable(rows: readonly RowStatus[], { wide, now = new Date() }: FormatOptions): string {
  const header = ['NODE', 'PORT', 'STATE', 'WORK', 'AGE', ...(wide ? ['MAC', 'ADDRESS', 'CR', 'GENERATION'] : []), 'REASON'];
  const cells = rows.map((r) => [
    r.node ?? '-',
    r.portId,
    r.state,
    r.work ?? '-',
    formatAge(now.getTime() - r.generation),
    ...(wide ? [r.macAddress ?? '-', r.address ?? 'dhcp', r.cr ?? '-', String(r.generation)] : []),
    r.reason,
  ]);
  return table(header, cells);
}

/**
 * The readable status: the per-node table (queues, consumers, dead-letter and unroutable
 * counts), then the rows needing work or naming an unknown node with their reasons (or a
 * CR's interfaces across nodes), the dead-letter reasons, and the active publisher.
 */
export function formatFullStatus(s: FullStatus, options: FormatOptions = {}): string {
  const out: string[] = [];
  if (options.cr) {
    out.push(`OpenstackConfig ${options.cr}: ${s.rows.length}${s.rowsTruncated ? '+' : ''} interface(s) on ${new Set(s.rows.map((r) => r.node)).size} node(s)`);
    out.push(s.rows.length ? rowsTable(s.rows, options) : '  (no rows carry this cr_namespace/cr_name)');
    return `${out.join('\n')}\n`;
  }
  out.push(formatStatus(s).trimEnd());
  if (options.wide) out.push('', table(['NODE', 'QUEUE', 'DECLARED', 'MESSAGES', 'CONSUMERS'], s.nodes.map((n) => [n.node, n.queue.name, n.queue.exists ? 'yes' : 'no', String(n.queue.messages), String(n.queue.consumers)])));
  out.push('');
  if (s.rows.length === 0) out.push('rows needing work: none (every row is configured or removed, and every node is in node_table)');
  else out.push(`rows needing work or naming an unknown node (oldest first${s.rowsTruncated ? `; first ${s.rows.length} shown` : ''}):`, rowsTable(s.rows, options));
  if (s.deadLetterReasons.length) {
    out.push('', 'dead-letter reasons (read from multinic.dead and left there; `multinic dead-letters list` shows each):');
    for (const r of s.deadLetterReasons) out.push(`  ${String(r.count).padStart(4)}  ${r.reason}`);
  }
  const { lock, connections } = s.publisher;
  out.push('');
  if (lock.connectionId === null) out.push(`active publisher: NONE (no connection holds the MySQL lock ${JSON.stringify(lock.lockName)}: nothing is being published)`);
  else out.push(`active publisher: MySQL connection ${lock.connectionId}${lock.user ? ` (${lock.user}@${lock.host})` : ' (user and host need the PROCESS privilege)'} holds lock ${JSON.stringify(lock.lockName)}`);
  out.push(`publisher connections on RabbitMQ: ${connections.length ? connections.join(', ') : 'none'}`);
  return `${out.join('\n')}\n`;
}
