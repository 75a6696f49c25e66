import { TransientError } from '../errors/errors.js';
import { redactText } from '../log/redact.js';
import { queryBroker, type NodeQueueStatus, type QueueLister } from './broker.js';
import { queryInterfaceCounts, type StatusDb } from '../db/status-counts.js';
import { table } from './table.js';

/** One node's line of `multinic status`. */
export interface NodeStatus {
  node: string;
  inNodeTable: boolean;
  /** Other spellings its rows use, folded in by the identity rule. */
  spellings?: string[];
  /** node_table names the rows' name fits at once: those rows are not accounted for. */
  ambiguous?: string[];
  interfaces: { configured: number; pending: number; failed: number };
  queue: { name: string } & Omit<NodeQueueStatus, 'queue'>;
}

/** What `multinic status --json` prints. */
export interface StatusReport {
  vhost: string;
  nodes: NodeStatus[];
  deadLetters: number | null;
  unroutable: number | null;
}

/** A source `status` could not read; the message says which one and where. */
export class StatusSourceError extends TransientError {
  override name = 'StatusSourceError';
}

export interface StatusSources {
  db: StatusDb;
  /** Shown in the error when the database cannot be read, e.g. `127.0.0.1:3306/multinic_db`. */
  dbLabel: string;
  management: QueueLister;
  vhost: string;
  node?: string;
}

/**
 * Gathers the status from the database (the truth about interfaces) and the management
 * API (queues and consumers). Either source failing is a StatusSourceError naming it;
 * the database is read first, so with both down the message names the database.
 */
export async function collectStatus({ db, dbLabel, management, vhost, node }: StatusSources): Promise<StatusReport> {
  let counts;
  try {
    counts = await queryInterfaceCounts(db, node);
  } catch (err) {
    throw new StatusSourceError(`database ${dbLabel} is not reachable or not migrated: ${redactText((err as Error).message)}`, { cause: err });
  }
  let broker;
  try {
    broker = await queryBroker(management, vhost, counts.map((c) => c.node), node);
  } catch (err) {
    const msg = redactText((err as Error).message);
    throw new StatusSourceError(msg.includes('management API') ? msg : `RabbitMQ management API: ${msg}`, { cause: err });
  }
  return {
    vhost,
    // Names with only a queue or unroutable events (not in node_table, no rows) follow the database's nodes.
    nodes: [...counts, ...broker.otherNames.map((n): (typeof counts)[number] => ({ node: n, inNodeTable: false, configured: 0, pending: 0, failed: 0 }))].map((c) => {
      const { queue, ...q } = broker.queues.get(c.node)!;
      return { node: c.node, inNodeTable: c.inNodeTable, ...(c.spellings && { spellings: c.spellings }), ...(c.ambiguous && { ambiguous: c.ambiguous }), interfaces: { configured: c.configured, pending: c.pending, failed: c.failed }, queue: { name: queue, ...q } };
    }),
    deadLetters: broker.deadLetters,
    unroutable: broker.unroutable,
  };
}


/** The node's name, with the spellings its rows use and why rows are not accounted for. */
function nodeLabel(n: NodeStatus): string {
  const also = n.spellings?.length ? ` (rows say ${n.spellings.join(', ')})` : '';
  if (n.ambiguous) return `${n.node} (not accounted for: fits ${n.ambiguous.join(' and ')})`;
  return n.inNodeTable ? `${n.node}${also}` : `${n.node} (not in node_table)`;
}

/** The readable form: one row per node, then the dead-letter and unroutable counts with a hint. */
export function formatStatus(report: StatusReport): string {
  const rows = report.nodes.map((n) => [
    nodeLabel(n),
    String(n.interfaces.configured),
    String(n.interfaces.pending),
    String(n.interfaces.failed),
    n.queue.exists ? String(n.queue.messages) : 'no queue',
    n.queue.consuming ? `yes (${n.queue.consumers})` : 'NO',
  ]);
  const out = [
    rows.length ? table(['NODE', 'CONFIGURED', 'PENDING', 'FAILED', 'QUEUED', 'AGENT CONSUMING'], rows) : 'no nodes found in node_table or multi_interface',
    '',
    `dead letters (multinic.dead):        ${report.deadLetters ?? 'queue not declared'}`,
    `unroutable (multinic.unroutable):    ${report.unroutable ?? 'queue not declared'}`,
  ];
  if ((report.deadLetters ?? 0) > 0) out.push('  -> inspect multinic.dead in the management UI; header x-multinic-error holds each reason');
  if ((report.unroutable ?? 0) > 0) out.push('  -> events for nodes with no queue: check the node name (routing key) against node_table');
  const unroutableBy = report.nodes.filter((n) => n.queue.unroutable > 0).map((n) => `${n.node}: ${n.queue.unroutable}`);
  if (unroutableBy.length) out.push(`  unroutable events by node name: ${unroutableBy.join(', ')}`);
  for (const n of report.nodes.filter((x) => x.queue.problem)) out.push(`queue ${n.queue.name} is unusable: ${n.queue.problem}; its rows wait (README, "Upgrading node queues")`);
  const legacy = report.nodes.filter((x) => x.queue.legacy).map((x) => x.queue.name);
  if (legacy.length) out.push(`queues with the pre-policy arguments (they work; README, "Upgrading node queues"): ${legacy.join(', ')}`);
  return `${out.join('\n')}\n`;
}
