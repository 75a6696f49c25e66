import { firstAnswering } from '../amqp/connection.js';
import { isBrokerUnavailable, ManagementClient } from '../amqp/management.js';
import type { Config } from '../config/schema.js';
import { createSequelize } from '../db/index.js';
import { vhostOf } from '../status/broker.js';
import { collectStatus, type StatusReport } from '../status/report.js';

/**
 * The composition root of `multinic status`: builds the database and management API
 * clients from the configuration, collects one report and closes what it opened.
 * Throws StatusSourceError (src/status/report.ts) naming the source that could not be
 * read; any other error is a bug.
 */
export async function readStatus(config: Config, node?: string): Promise<StatusReport> {
  const db = createSequelize(config.db);
  // Several management URLs (one per broker of a cluster): the next is asked only when one is unreachable or failing (5xx).
  const brokers = config.amqp.managementUrl.map((u) => new ManagementClient(u));
  try {
    return await collectStatus({
      db,
      dbLabel: config.db.socketPath ? `${config.db.socketPath} (${config.db.name})` : `${config.db.host}:${config.db.port}/${config.db.name}`,
      management: {
        listQueues: (vhost) => firstAnswering(brokers, (b) => b.listQueues(vhost), isBrokerUnavailable),
        peekMessages: (vhost, queue, count) => firstAnswering(brokers, (b) => b.peekMessages(vhost, queue, count), isBrokerUnavailable),
      },
      vhost: vhostOf(config.amqp.url[0]!),
      node,
    });
  } finally {
    await db.close();
  }
}
