import { ManagementClient } from '../amqp/management.js';
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
  try {
    return await collectStatus({
      db,
      dbLabel: config.db.socketPath ? `${config.db.socketPath} (${config.db.name})` : `${config.db.host}:${config.db.port}/${config.db.name}`,
      management: new ManagementClient(config.amqp.managementUrl),
      vhost: vhostOf(config.amqp.url),
      node,
    });
  } finally {
    await db.close();
  }
}
