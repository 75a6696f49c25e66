import type mysql from 'mysql2/promise';
import type { ManagementClient } from '../amqp/management.js';
import type { Config } from '../config/schema.js';
import { createScratchVhost, type Created } from '../sandbox/scratch-vhost.js';
import type { AdminAccess } from './services.js';

export type { Created };

/**
 * Creates the demo's own database `multinic_demo_<id>` and a user of the same name
 * with a random password and every privilege on that database only (for `%` and
 * `localhost`, as MariaDB matches the socket and TCP separately). `created` receives
 * each piece as soon as it exists, so an interruption half-way still cleans up.
 */
export async function createDemoDatabase(
  admin: mysql.Connection,
  access: AdminAccess,
  { id, password, created }: { id: string; password: string; created: (c: Created) => void },
): Promise<Config['db']> {
  const name = `multinic_demo_${id}`;
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  created({ what: `database ${name}`, remove: async () => void (await admin.query(`DROP DATABASE IF EXISTS \`${name}\``)) });
  for (const host of ['%', 'localhost']) {
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [name, host, password]);
    created({ what: `database user '${name}'@'${host}'`, remove: async () => void (await admin.query('DROP USER IF EXISTS ?@?', [name, host])) });
    await admin.query(`GRANT ALL PRIVILEGES ON \`${name}\`.* TO ?@?`, [name, host]);
  }
  return { host: access.dbTcp.host, port: access.dbTcp.port, user: name, password, name };
}

/** The demo's own vhost `multinic-demo-<id>` (see createScratchVhost). */
export function createDemoVhost(
  management: ManagementClient,
  access: AdminAccess,
  { id, password, created }: { id: string; password: string; created: (c: Created) => void },
): Promise<{ vhost: string; user: string; url: string }> {
  return createScratchVhost(management, { vhost: `multinic-demo-${id}`, password, amqpHost: access.amqpHost, created });
}
