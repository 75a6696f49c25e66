import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { readFileSync } from 'node:fs';
import type { Config } from '../../src/config/index.js';
import { migrate, seed } from '../../src/db/index.js';
import { randomPassword } from '../helpers/ids.js';
import { adminConnection, createTestDatabase, DB_TCP_HOST, DB_TCP_PORT, type TestDatabase } from '../helpers/mariadb.js';

const SQL = readFileSync(new URL('../../deploy/sql/users.sql', import.meta.url), 'utf8');

const PORT = '7f3e2a10-0000-4000-8000-000000000112';

/** deploy/sql/users.sql applied to a throwaway database: each user can do its job and nothing more. */
describe('deploy/sql/users.sql least-privilege grants', function () {
  let tdb: TestDatabase;
  let users: Record<'agent' | 'publisher' | 'migrator', Config['db']>;
  const conns: mysql.Connection[] = [];
  /** Users a test adds beyond `users`, dropped in after() whatever happened. */
  const extraUsers: string[] = [];

  before(async function () {
    tdb = await createTestDatabase('mng');
    await migrate(tdb.sequelize, { info: () => undefined });
    await seed(tdb.sequelize);
    // Runs the file itself as a multi-statement script, as `mysql < file` would; fails with a
    // message naming MariaDB when the server is down.
    users = await tdb.createUsersFromSql();
  });

  after(async function () {
    for (const c of conns) await c.end().catch(() => undefined);
    const cleanup = await adminConnection().catch(() => undefined);
    if (cleanup) {
      for (const u of extraUsers) for (const host of ['%', 'localhost']) await cleanup.query('DROP USER IF EXISTS ?@?', [u, host]);
      await cleanup.end();
    }
    await tdb?.drop();
  });

  async function as(role: keyof typeof users): Promise<mysql.Connection> {
    const c = await mysql.createConnection({ host: DB_TCP_HOST, port: DB_TCP_PORT, user: users[role].user, password: users[role].password, database: tdb.name });
    conns.push(c);
    return c;
  }

  it('lets the agent read the four tables, set netplan_success and keep its port state', async function () {
    const c = await as('agent');
    for (const t of ['multi_subnet', 'node_table', 'multi_interface', 'cr_state']) {
      const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${t}`);
      expect(Number(rows[0]!.n), t).to.be.greaterThan(0);
    }
    const [res] = await c.query<mysql.ResultSetHeader>('UPDATE multi_interface SET netplan_success = 1 WHERE port_id = ?', [PORT]);
    expect(res.affectedRows).to.equal(1);
    await c.query("INSERT INTO multinic_port_state (port_id, node_name, generation, content_digest, outcome, updated_at) VALUES (?, 'worker-node-1', 1, REPEAT('a', 32), 'configured', NOW(3))", [PORT]);
    await c.query("UPDATE multinic_port_state SET outcome = 'failed' WHERE port_id = ?", [PORT]);
  });

  it('refuses the agent any other column of multi_interface', async function () {
    const c = await as('agent');
    for (const stmt of ["UPDATE multi_interface SET address = '192.168.100.99' WHERE port_id = ?", 'UPDATE multi_interface SET modified_at = NOW(3) WHERE port_id = ?', 'UPDATE multi_interface SET deleted_at = NOW(3) WHERE port_id = ?']) {
      const err = await c.query(stmt, [PORT]).then(() => undefined, (e: { code?: string }) => e);
      expect(err?.code, stmt).to.equal('ER_COLUMNACCESS_DENIED_ERROR');
    }
  });

  it('refuses the agent DELETE, INSERT into OpenStack tables, and schema changes', async function () {
    const c = await as('agent');
    for (const stmt of ['DELETE FROM multi_interface WHERE port_id = ?', 'DELETE FROM multinic_port_state WHERE port_id = ?', "INSERT INTO node_table (attached_node_id, attached_node_name) VALUES (?, 'x')", 'DROP TABLE multi_interface']) {
      const err = await c.query(stmt, [PORT]).then(() => undefined, (e: { code?: string }) => e);
      expect(err?.code, stmt).to.equal('ER_TABLEACCESS_DENIED_ERROR');
    }
  });

  it('lets the publisher read and take its named lock, and write nothing', async function () {
    const c = await as('publisher');
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM multi_interface i JOIN multi_subnet s ON s.subnet_id = i.subnet_id');
    expect(Number(rows[0]!.n)).to.be.greaterThan(0);
    await c.query('SELECT COUNT(*) FROM multinic_port_state');
    const [lock] = await c.query<mysql.RowDataPacket[]>("SELECT GET_LOCK(CONCAT(DATABASE(), '-publisher'), 1) AS got");
    expect(Number(lock[0]!.got)).to.equal(1);
    const err = await c.query('UPDATE multi_interface SET netplan_success = 0 WHERE port_id = ?', [PORT]).then(() => undefined, (e: { code?: string }) => e);
    expect(err?.code).to.equal('ER_TABLEACCESS_DENIED_ERROR');
  });

  it('adds one per-node agent user alone when only @agent_user is set, with the agent grants', async function () {
    const node = { user: `${tdb.name}_n1`, password: randomPassword() };
    extraUsers.push(node.user, `${tdb.name}_n2`);
    const setup = await mysql.createConnection({ socketPath: process.env.MULTINIC_TEST_DB_ADMIN_SOCKET ?? '/run/mysqld/mysqld.sock', user: 'root', multipleStatements: true });
    try {
      await setup.query('SET @agent_user = NULL, @agent_password = NULL, @publisher_user = NULL, @publisher_password = NULL, @migrator_user = NULL, @migrator_password = NULL');
      for (const host of ['%', 'localhost']) {
        await setup.query('SET @db_name = ?, @user_host = ?, @agent_user = ?, @agent_password = ?', [tdb.name, host, node.user, node.password]);
        await setup.query(SQL);
      }
      const [created] = await setup.query<mysql.RowDataPacket[]>('SELECT User FROM mysql.user WHERE User LIKE ?', [`${tdb.name}\_%`]);
      expect(created.map((r) => r.User)).to.include(node.user);
      // The publisher and migrator parts did nothing: no user besides the ones made in before().
      expect([...new Set(created.map((r) => r.User).filter((u) => !Object.values(users).some((x) => x.user === u)))]).to.deep.equal([node.user]);
      // A set user without its password is refused, not created with an empty one.
      const err = await setup.query('SET @agent_user = ?, @agent_password = NULL; ' + SQL, [`${tdb.name}_n2`]).then(() => undefined, (e: Error) => e);
      expect(err?.message).to.match(/syntax|NULL/i);
      const [none] = await setup.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ?', [`${tdb.name}_n2`]);
      expect(Number(none[0]!.n)).to.equal(0);
    } finally {
      await setup.end();
    }
    const c = await mysql.createConnection({ host: DB_TCP_HOST, port: DB_TCP_PORT, user: node.user, password: node.password, database: tdb.name });
    conns.push(c);
    const [res] = await c.query<mysql.ResultSetHeader>('UPDATE multi_interface SET netplan_success = 1 WHERE port_id = ?', [PORT]);
    expect(res.affectedRows).to.equal(1);
    const err = await c.query("UPDATE multi_interface SET address = '192.168.100.99' WHERE port_id = ?", [PORT]).then(() => undefined, (e: { code?: string }) => e);
    expect(err?.code).to.equal('ER_COLUMNACCESS_DENIED_ERROR');
  });

  it('lets the migrator run the migrations on its database', async function () {
    const c = await as('migrator');
    await c.query('CREATE TABLE multinic_grant_probe (id INT PRIMARY KEY)');
    await c.query('ALTER TABLE multinic_grant_probe ADD INDEX ix_probe (id)');
    const err = await c.query('CREATE DATABASE multinic_not_allowed').then(() => undefined, (e: { code?: string }) => e);
    expect(err?.code).to.equal('ER_DBACCESS_DENIED_ERROR');
  });
});
