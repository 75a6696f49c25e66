import type { ConnectionInfo } from '../amqp/management.js';
import { Queues } from '../amqp/topology.js';
import { queryLockHolder, queryStatusRows, type LockHolder } from '../db/status-rows.js';
import type { StatusDb } from '../db/status-counts.js';
import { redactText } from '../log/redact.js';
import { sameNode } from '../model/node-identity.js';
import { describeDeadLetter, reasonsOf } from './dead-letters.js';
import { StatusSourceError } from './report.js';
import { explainRow, type RowStatus } from './rows.js';

/** The parts of the management client the details use; the real one is ManagementClient. */
export interface DetailsManagement {
  peekMessages(vhost: string, queue: string, count: number): Promise<Array<{ payload: string; properties: Record<string, unknown> }>>;
  listConnections(vhost?: string): Promise<ConnectionInfo[]>;
}

/** Which publisher replica is active, from both sides. */
export interface PublisherStatus {
  /** The MySQL named lock's holder (the active replica's lock connection), or connectionId null when none holds it. */
  lock: LockHolder;
  /** RabbitMQ connections named `multinic-publisher <host>` in this vhost (every replica, active or standing by). */
  connections: string[];
}

/** What `multinic status` adds to the per-node counts: the rows and their reasons, why events died, who publishes. */
export interface StatusDetails {
  rows: RowStatus[];
  /** True when more rows matched than `limit`. */
  rowsTruncated: boolean;
  /** Reasons of the first `peek` messages of multinic.dead (read and requeued; with `node`, that node's only), most frequent first. */
  deadLetterReasons: Array<{ reason: string; count: number }>;
  publisher: PublisherStatus;
}

export interface DetailsSources {
  db: StatusDb;
  management: DetailsManagement;
  vhost: string;
  lockName: string;
  node?: string;
  cr?: { namespace: string; name: string };
  /** Most rows listed (default 50). */
  limit?: number;
  /** Most dead letters read for their reasons (default 100). */
  peek?: number;
  now?: () => Date;
}

/**
 * Reads the details of `multinic status`: the rows needing work or naming an unknown node
 * (or, with `cr`, every row of that CR) with their reasons; the reasons of the dead
 * letters (peeked through the management API, which requeues them: nothing is consumed);
 * and the active publisher (the MySQL lock holder) beside the publisher connections
 * RabbitMQ sees. A source that cannot be read is a StatusSourceError naming it.
 */
export async function collectDetails({ db, management, vhost, lockName, node, cr, limit = 50, peek = 100, now = () => new Date() }: DetailsSources): Promise<StatusDetails> {
  let facts;
  let lock: LockHolder;
  try {
    facts = await queryStatusRows(db, { node, cr, limit: limit + 1 });
    lock = await queryLockHolder(db, lockName);
  } catch (err) {
    throw new StatusSourceError(`database: cannot read the rows: ${redactText((err as Error).message)}`, { cause: err });
  }
  let dead;
  let connections: ConnectionInfo[];
  try {
    dead = peek > 0 ? await management.peekMessages(vhost, Queues.Dead, peek) : [];
    connections = await management.listConnections(vhost);
  } catch (err) {
    const msg = redactText((err as Error).message);
    throw new StatusSourceError(msg.includes('management API') ? msg : `RabbitMQ management API: ${msg}`, { cause: err });
  }
  const at = now();
  const infos = dead.map((m) => {
    const p = m.properties as { headers?: Record<string, unknown>; message_id?: string; type?: string; timestamp?: number };
    return describeDeadLetter({ headers: p.headers ?? {}, messageId: p.message_id, type: p.type, timestamp: p.timestamp, payload: m.payload });
  });
  return {
    rows: facts.slice(0, limit).map((f) => explainRow(f, at)),
    rowsTruncated: facts.length > limit,
    deadLetterReasons: reasonsOf(node === undefined ? infos : infos.filter((i) => i.node !== null && (i.node === node || sameNode(i.node, node)))),
    publisher: {
      lock,
      connections: connections.map((c) => c.client_properties?.connection_name ?? '').filter((n) => n.startsWith('multinic-publisher')).sort(),
    },
  };
}
