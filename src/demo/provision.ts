import type mysql from 'mysql2/promise';
import type { ManagementClient } from '../amqp/management.js';
import type { Config } from '../config/schema.js';
import type { AdminAccess } from './services.js';

/** A throwaway resource the demo made, with the way to remove it again. */
export interface Created {
  /** What a person would call it, e.g. `database multinic_demo_1a2b`. */
  what: string;
  remove(): Promise<void>;
}

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

/**
 * Creates a throwaway vhost named `vhost` and a user of the same name with `password` and
 * full rights on that vhost only; returns its amqp:// URL. `created` receives each piece
 * as soon as it exists, so an interruption half-way still cleans up. Deleting the vhost
 * removes its queues and exchanges; open connections are closed first so nothing lingers.
 * The demo and the tests' per-test vhosts both use it.
 */
export async function createScratchVhost(
  management: ManagementClient,
  { vhost, password, amqpHost, created = () => undefined }: { vhost: string; password: string; amqpHost: string; created?: (c: Created) => void },
): Promise<{ vhost: string; user: string; url: string }> {
  await management.putVhost(vhost);
  created({
    what: `RabbitMQ vhost ${vhost}`,
    remove: async () => {
      for (const c of await management.listConnections(vhost).catch(() => [])) await management.closeConnection(c.name, 'throwaway vhost removed').catch(() => undefined);
      await management.deleteVhost(vhost);
    },
  });
  await management.putUser(vhost, password);
  created({ what: `RabbitMQ user ${vhost}`, remove: () => management.deleteUser(vhost) });
  await management.setPermissions(vhost, vhost, { configure: '.*', write: '.*', read: '.*' });
  const url = `amqp://${encodeURIComponent(vhost)}:${encodeURIComponent(password)}@${amqpHost}/${encodeURIComponent(vhost)}`;
  return { vhost, user: vhost, url };
}

/** The demo's own vhost `multinic-demo-<id>` (see createScratchVhost). */
export function createDemoVhost(
  management: ManagementClient,
  access: AdminAccess,
  { id, password, created }: { id: string; password: string; created: (c: Created) => void },
): Promise<{ vhost: string; user: string; url: string }> {
  return createScratchVhost(management, { vhost: `multinic-demo-${id}`, password, amqpHost: access.amqpHost, created });
}
