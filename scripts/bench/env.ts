import type mysql from 'mysql2/promise';
import type { Config } from '../../src/config/index.js';
import { migrate } from '../../src/db/index.js';
import { adminConnection, createTestDatabase, type TestDatabase } from '../../test/helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../../test/helpers/rabbitmq.js';

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
    cleanups.push(() => vhost.delete());
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
