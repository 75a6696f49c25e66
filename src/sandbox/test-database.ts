import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config/index.js';
import { createSequelize } from '../db/index.js';
import { randomPassword, uniqueSuffix } from './ids.js';

/**
 * Per-test MariaDB databases. The tests need an administrator only to create a throwaway
 * database and a user with a random password for it; by default that is root over the
 * local socket (as on this machine and in CI), overridable with MULTINIC_TEST_DB_ADMIN_SOCKET,
 * or MULTINIC_TEST_DB_ADMIN_HOST/PORT/USER/PASSWORD. The tests themselves connect over
 * TCP as the per-test user, like the product does.
 */
const ADMIN_SOCKET = process.env.MULTINIC_TEST_DB_ADMIN_SOCKET ?? '/run/mysqld/mysqld.sock';
export const DB_TCP_HOST = process.env.MULTINIC_TEST_DB_HOST ?? '127.0.0.1';
export const DB_TCP_PORT = Number(process.env.MULTINIC_TEST_DB_PORT ?? 3306);

/** deploy/sql/users.sql, the least-privilege users of a deployment. */
const USERS_SQL = readFileSync(new URL('../../deploy/sql/users.sql', import.meta.url), 'utf8');

/**
 * A connection as the administrator. `multipleStatements` only for running a whole SQL
 * script such as deploy/sql/users.sql, as `mysql < file` would.
 */
export async function adminConnection({ multipleStatements = false } = {}): Promise<mysql.Connection> {
  const opts: mysql.ConnectionOptions = process.env.MULTINIC_TEST_DB_ADMIN_HOST
    ? {
        host: process.env.MULTINIC_TEST_DB_ADMIN_HOST,
        port: Number(process.env.MULTINIC_TEST_DB_ADMIN_PORT ?? 3306),
        user: process.env.MULTINIC_TEST_DB_ADMIN_USER ?? 'root',
        password: process.env.MULTINIC_TEST_DB_ADMIN_PASSWORD ?? '',
      }
    : { socketPath: ADMIN_SOCKET, user: 'root' };
  try {
    return await mysql.createConnection({ ...opts, multipleStatements, connectTimeout: 5_000 });
  } catch (err) {
    throw new Error(
      `MariaDB is not reachable for test set-up (${opts.socketPath ?? `${opts.host}:${opts.port}`} as ${opts.user}): ${(err as Error).message}. ` +
        'Start it with scripts/services/start.sh (CI does this in .ci/run).',
      { cause: err },
    );
  }
}

/** A throwaway database with its own user; `drop()` removes both. */
export interface TestDatabase {
  name: string;
  user: string;
  password: string;
  /** The `db` section of a Config pointing at this database as its own user. */
  db: Config['db'];
  /** A Sequelize instance for this database (closed by `drop`). */
  sequelize: Sequelize;
  /** Creates another user on this database with exactly these GRANT statements ({db} and {user} substituted). */
  createUser(grants: string[]): Promise<Config['db']>;
  /**
   * Runs deploy/sql/users.sql on this database (for hosts '%' and 'localhost') and returns
   * the agent's, publisher's and migrator's `db` sections; `drop()` removes the users.
   * Run it after the schema exists, as a deployment does.
   */
  createUsersFromSql(): Promise<Record<'agent' | 'publisher' | 'migrator', Config['db']>>;
  /** Kills every server connection of this database's users, as a failover or network cut would. */
  killConnections(): Promise<number>;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'mnt'): Promise<TestDatabase> {
  const admin = await adminConnection();
  const name = `${prefix}_${uniqueSuffix()}`;
  const users: string[] = [];
  const makeUser = async (user: string, grants: string[]): Promise<string> => {
    const password = randomPassword();
    for (const host of ['%', 'localhost']) {
      await admin.query(`CREATE USER ?@? IDENTIFIED BY ?`, [user, host, password]);
      for (const g of grants) await admin.query(g.replaceAll('{db}', `\`${name}\``).replaceAll('{user}', `'${user}'@'${host}'`));
    }
    users.push(user);
    return password;
  };
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const password = await makeUser(name, [`GRANT ALL PRIVILEGES ON {db}.* TO {user}`]);
  const db: Config['db'] = { host: DB_TCP_HOST, port: DB_TCP_PORT, user: name, password, name };
  const sequelize = createSequelize(db);
  let counter = 0;
  return {
    name,
    user: name,
    password,
    db,
    sequelize,
    async createUser(grants) {
      const user = `${name}_${++counter}`;
      const pw = await makeUser(user, grants);
      return { ...db, user, password: pw };
    },
    async createUsersFromSql() {
      const roles = ['agent', 'publisher', 'migrator'] as const;
      const creds = Object.fromEntries(roles.map((r) => [r, { ...db, user: `${name}_${r.slice(0, 2)}`, password: randomPassword() }])) as Record<(typeof roles)[number], Config['db']>;
      // Registered first, so drop() removes them even when the script fails half-way.
      users.push(...roles.map((r) => creds[r].user));
      const script = await adminConnection({ multipleStatements: true });
      try {
        // Both hosts: over TCP to 127.0.0.1 the server may match 'localhost' before '%'.
        for (const host of ['%', 'localhost']) {
          await script.query(
            'SET @db_name = ?, @user_host = ?, @agent_user = ?, @agent_password = ?, @publisher_user = ?, @publisher_password = ?, @migrator_user = ?, @migrator_password = ?',
            [name, host, ...roles.flatMap((r) => [creds[r].user, creds[r].password])],
          );
          await script.query(USERS_SQL);
        }
      } finally {
        await script.end();
      }
      return creds;
    },
    async killConnections() {
      const [rows] = await admin.query<mysql.RowDataPacket[]>(
        `SELECT ID FROM information_schema.PROCESSLIST WHERE USER IN (${users.map(() => '?').join(',')})`,
        users,
      );
      for (const r of rows) await admin.query(`KILL CONNECTION ${Number(r.ID)}`).catch(() => undefined);
      return rows.length;
    },
    async drop() {
      await sequelize.close().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      for (const u of users) for (const host of ['%', 'localhost']) await admin.query('DROP USER IF EXISTS ?@?', [u, host]);
      await admin.end();
    },
  };
}
