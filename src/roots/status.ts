import { firstAnswering } from '../amqp/connection.js';
import { isBrokerUnavailable, ManagementClient } from '../amqp/management.js';
import type { Config } from '../config/schema.js';
import { createSequelize } from '../db/index.js';
import { defaultLockName } from '../db/mysql-lock.js';
import { vhostOf } from '../status/broker.js';
import { collectDetails } from '../status/details.js';
import type { FullStatus } from '../status/format.js';
import { collectStatus, type StatusReport } from '../status/report.js';

/** What `multinic status` asks for: one node, or one CR's interfaces, and how many rows. */
export interface StatusQuery {
  node?: string;
  cr?: { namespace: string; name: string };
  limit?: number;
}

/**
 * The composition root of `multinic status`: builds the database and management API
 * clients from the configuration, collects one report (per-node counts and queues) and
 * its details (rows with reasons, dead-letter reasons, the active publisher under
 * `publisher.lockName`, by default one per database), asking each of AMQP_MANAGEMENT_URL's
 * brokers in turn, and closes what it opened. Throws StatusSourceError
 * (src/status/report.ts) naming the source that could not be read; any other error is a bug.
 */
export async function readStatus(config: Config, query: StatusQuery | string = {}): Promise<FullStatus> {
  const { node, cr, limit } = typeof query === 'string' ? { node: query } : query;
  const db = createSequelize(config.db);
  // Several management URLs (one per broker of a cluster): the next is asked only when one is unreachable or failing (5xx).
  const brokers = config.amqp.managementUrl.map((u) => new ManagementClient(u));
  const management = {
    listQueues: (vhost: string) => firstAnswering(brokers, (b) => b.listQueues(vhost), isBrokerUnavailable),
    peekMessages: (vhost: string, queue: string, count: number) => firstAnswering(brokers, (b) => b.peekMessages(vhost, queue, count), isBrokerUnavailable),
    listConnections: (vhost?: string) => firstAnswering(brokers, (b) => b.listConnections(vhost), isBrokerUnavailable),
  };
  const vhost = vhostOf(config.amqp.url[0]!);
  try {
    const report: StatusReport = await collectStatus({
      db,
      dbLabel: config.db.socketPath ? `${config.db.socketPath} (${config.db.name})` : `${config.db.host}:${config.db.port}/${config.db.name}`,
      management,
      vhost,
      node,
    });
    const details = await collectDetails({ db, management, vhost, lockName: config.publisher.lockName ?? defaultLockName(config.db.name), node, cr, limit });
    return { ...report, ...details };
  } finally {
    await db.close();
  }
}
