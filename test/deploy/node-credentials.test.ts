import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import mysql from 'mysql2/promise';
import { loadConfig } from '../../src/config/index.js';
import { migrate, seed } from '../../src/db/index.js';
import { declareCore, declareNodeQueue, nodeQueueName } from '../../src/amqp/topology.js';
import { uniqueSuffix } from '../helpers/ids.js';
import { adminConnection, createTestDatabase, DB_TCP_HOST, DB_TCP_PORT, type TestDatabase } from '../helpers/mariadb.js';
import { AMQP_HOST, createTestVhost, MANAGEMENT_ADMIN_URL, type TestVhost } from '../helpers/rabbitmq.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/node-credentials.sh', import.meta.url));
const PORT = '7f3e2a10-0000-4000-8000-000000000112';

/**
 * The agent DaemonSet's per-node credentials: scripts/node-credentials.sh issues a node's
 * RabbitMQ and database users and prints its /etc/multinic/agent.yaml; the agent's own
 * configuration loader reads that file (as `--config`), and each credential works and is
 * confined to that node (own queue only; netplan_success only).
 */
describe('per-node agent credentials (scripts/node-credentials.sh)', function () {
  let tdb: TestDatabase;
  let vh: TestVhost;
  let dir = '';
  const node = `dp-${uniqueSuffix()}`;
  let dbUser = '';
  const dbConns: mysql.Connection[] = [];
  const amqpConns: amqplib.ChannelModel[] = [];
  let file = '';

  before(async function () {
    tdb = await createTestDatabase('mnc');
    await migrate(tdb.sequelize, { info: () => undefined });
    await seed(tdb.sequelize);
    vh = await createTestVhost('mnc');
    dir = await mkdtemp(join(tmpdir(), 'dp-nodecred-'));
    const cnf = join(dir, 'admin.cnf');
    await writeFile(cnf, `[client]\nsocket=${process.env.MULTINIC_TEST_DB_ADMIN_SOCKET ?? '/run/mysqld/mysqld.sock'}\nuser=root\n`, { mode: 0o600 });
    dbUser = `${tdb.name}_nc`;
    const admin = new URL(MANAGEMENT_ADMIN_URL);
    const { stdout } = await run('bash', [SCRIPT, node], {
      env: {
        PATH: process.env.PATH,
        RABBITMQ_API: `${admin.protocol}//${admin.host}`,
        RABBITMQ_ADMIN_USER: decodeURIComponent(admin.username),
        RABBITMQ_ADMIN_PASSWORD: decodeURIComponent(admin.password),
        MYSQL_ADMIN_CNF: cnf,
        AMQP_BROKER_URL: `amqp://${AMQP_HOST}/${encodeURIComponent(vh.vhost)}`,
        DB_NAME: tdb.name,
        DB_AGENT_USER: dbUser,
      },
    });
    file = join(dir, 'agent.yaml');
    await writeFile(file, stdout, { mode: 0o600 });
    // The exchanges exist once the publisher ran; here the vhost's own user declares them.
    const owner = await amqplib.connect(vh.url);
    const ch = await owner.createChannel();
    await declareCore(ch);
    await declareNodeQueue(ch, 'dp-other-node');
    await owner.close();
  });

  after(async function () {
    for (const c of dbConns) await c.end().catch(() => undefined);
    for (const c of amqpConns) await c.close().catch(() => undefined);
    const admin = await adminConnection().catch(() => undefined);
    if (admin && dbUser) for (const host of ['%', 'localhost']) await admin.query('DROP USER IF EXISTS ?@?', [dbUser, host]);
    await admin?.end();
    await vh?.management.deleteUser(`multinic-node-${node}`).catch(() => undefined);
    await vh?.delete();
    await tdb?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The file as the agent reads it: `--config`, with the ConfigMap's keys in the environment. */
  const agentConfig = () => loadConfig({ file, env: { DB_HOST: DB_TCP_HOST, DB_PORT: String(DB_TCP_PORT), DB_NAME: tdb.name, NODE_NAME: node } });

  it('prints a file the agent loads, holding only this node’s credentials', function () {
    const config = agentConfig();
    expect(config.db.user).to.equal(dbUser);
    expect(config.db.password).to.have.length.greaterThan(20);
    const url = new URL(String(config.amqp.url));
    expect(decodeURIComponent(url.username)).to.equal(`multinic-node-${node}`);
    expect(decodeURIComponent(url.pathname.slice(1))).to.equal(vh.vhost);
  });

  it('gives a database user that may set netplan_success and nothing else', async function () {
    const { db } = agentConfig();
    const c = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.name });
    dbConns.push(c);
    const [res] = await c.query<mysql.ResultSetHeader>('UPDATE multi_interface SET netplan_success = 1 WHERE port_id = ?', [PORT]);
    expect(res.affectedRows).to.equal(1);
    const err = await c.query('UPDATE multi_interface SET modified_at = NOW(3) WHERE port_id = ?', [PORT]).then(() => undefined, (e: { code?: string }) => e);
    expect(err?.code).to.equal('ER_COLUMNACCESS_DENIED_ERROR');
  });

  it('gives a RabbitMQ user that declares its own queue and is refused another node’s', async function () {
    const conn = await amqplib.connect(String(agentConfig().amqp.url));
    conn.on('error', () => undefined);
    amqpConns.push(conn);
    const own = await conn.createChannel();
    await declareNodeQueue(own, node);
    await own.close();
    const other = await conn.createChannel();
    other.on('error', () => undefined);
    const refused = await other.consume(nodeQueueName('dp-other-node'), () => undefined).then(() => undefined, (e: Error) => e);
    expect(refused?.message).to.match(/ACCESS_REFUSED/);
  });

  it('refuses a node name that is not one, before creating anything', async function () {
    const err = await run('bash', [SCRIPT, 'bad name;rm'], { env: { PATH: process.env.PATH } }).then(() => undefined, (e: { code?: number; stderr?: string }) => e);
    expect(err?.code).to.equal(2);
    expect(err?.stderr).to.match(/not a valid node name/);
  });
});
