import amqplib from 'amqplib';
import type mysql from 'mysql2/promise';
import type { Config } from '../../src/config/index.js';
import { migrate } from '../../src/db/index.js';
import { adminConnection, createTestDatabase, type TestDatabase } from '../../src/sandbox/test-database.js';
import { ManagementClient } from '../../src/amqp/management.js';
import { createTestVhost, MANAGEMENT_ADMIN_URL, type TestVhost } from '../../src/sandbox/test-vhost.js';

/**
 * The bench's own throwaway world, made with the same helpers the integration tests use:
 * one database (migrated) with one user per role, so the server's per-user counters
 * separate the publisher's queries from the agents', the baseline pollers' and the
 * harness's own; one RabbitMQ vhost with its own user. `close()` removes all of it and is
 * safe to call twice (the Ctrl-C handler and the normal end may both call it).
 */
export interface BenchEnv {
  database: TestDatabase;
  vhost: TestVhost;
  /** Root over the socket: USER_STATISTICS and the userstat switch. */
  admin: mysql.Connection;
  users: { publisher: Config['db']; agent: Config['db']; poller: Config['db'] };
  /** The MySQL named lock of this run's publisher: lock names are server-wide, so never the default. */
  lockName: string;
  close(): Promise<void>;
}

const ALL = ['GRANT ALL PRIVILEGES ON {db}.* TO {user}'];

export async function createBenchEnv(): Promise<BenchEnv> {
  const database = await createTestDatabase('mnbench');
  const cleanups: Array<() => Promise<void>> = [() => database.drop()];
  try {
    await migrate(database.sequelize, { info: () => undefined });
    const users = { publisher: await database.createUser(ALL), agent: await database.createUser(ALL), poller: await database.createUser(ALL) };
    const vhost = await createTestVhost('mnbench');
    cleanups.push(() => deleteVhost(vhost));
    const admin = await adminConnection();
    cleanups.push(() => admin.end());
    let closed: Promise<void> | undefined;
    return {
      database,
      vhost,
      admin,
      users,
      lockName: `${database.name}-publisher`,
      close: () =>
        (closed ??= (async () => {
          for (const c of cleanups.reverse()) await c().catch((err: unknown) => process.stderr.write(`cleanup: ${(err as Error).message}\n`));
        })()),
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}

/**
 * Deleting a vhost that still holds hundreds of quorum queues stalls RabbitMQ 3.10 for
 * minutes (seen here with 1000), while deleting each queue takes ~10 ms. So the bench
 * deletes its queues one by one over AMQP as the vhost's own user, then the empty vhost,
 * waits until it is gone, and removes the user.
 */
async function deleteVhost(vhost: TestVhost): Promise<void> {
  const patient = new ManagementClient(MANAGEMENT_ADMIN_URL, 60_000);
  await vhost.closeConnections().catch(() => 0);
  const queues = await patient.listQueues(vhost.vhost).catch(() => []);
  if (queues.length) {
    const conn = await amqplib.connect(vhost.url);
    try {
      const ch = await conn.createChannel();
      for (const q of queues) await ch.deleteQueue(q.name);
    } finally {
      await conn.close().catch(() => undefined);
    }
  }
  await patient.deleteVhost(vhost.vhost).catch(() => undefined);
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline && (await vhostExists(vhost.vhost))) await new Promise((r) => setTimeout(r, 1_000));
  await patient.deleteUser(vhost.user);
}

async function vhostExists(name: string): Promise<boolean> {
  const url = new URL(MANAGEMENT_ADMIN_URL);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  const res = await fetch(new URL(`api/vhosts/${encodeURIComponent(name)}`, url), { headers: { authorization: auth }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  return res?.status !== 404;
}
