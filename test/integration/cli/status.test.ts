import { expect } from 'chai';
import amqplib from 'amqplib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { QueryTypes } from 'sequelize';
import { AGENT_BACKEND_PROPERTY, AGENT_NODE_PROPERTY } from '../../../src/amqp/connection.js';
import { ManagementClient } from '../../../src/amqp/management.js';
import { declareCore, declareNodeQueue, Exchanges, nodeQueueName } from '../../../src/amqp/topology.js';
import { migrate, seed } from '../../../src/db/index.js';
import { vhostOf } from '../../../src/status/broker.js';
import { collectStatus, formatStatus, StatusSourceError, type StatusReport } from '../../../src/status/report.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';
import { waitFor } from '../../helpers/wait.js';

const run = promisify(execFile);

describe('multinic status (real MariaDB and RabbitMQ)', function () {
  let tdb: TestDatabase;
  let vh: TestVhost;
  let conn: amqplib.ChannelModel;

  before(async function () {
    tdb = await createTestDatabase('mns');
    await migrate(tdb.sequelize, { info: () => undefined });
    await seed(tdb.sequelize);
    // Port 113 (worker-node-1) failed at its current generation; 122 (worker-node-2) failed at an older one.
    await tdb.sequelize.query(
      `INSERT INTO multinic_port_state (port_id, node_name, generation, content_digest, outcome, updated_at)
       SELECT port_id, attached_node_name, ROUND(UNIX_TIMESTAMP(modified_at) * 1000) - IF(port_id LIKE '%122', 1000, 0), REPEAT('a', 32), 'failed', NOW(3)
       FROM multi_interface WHERE port_id LIKE '%113' OR port_id LIKE '%122'`,
      { type: QueryTypes.INSERT },
    );
    vh = await createTestVhost('mns');
    // Stands in for worker-node-2's agent, which names its node and backend in its client properties.
    conn = await amqplib.connect(vh.url, { clientProperties: { [AGENT_NODE_PROPERTY]: 'worker-node-2', [AGENT_BACKEND_PROPERTY]: 'networkmanager' } });
    const ch = await conn.createConfirmChannel();
    await declareCore(ch);
    await declareNodeQueue(ch, 'worker-node-1');
    await declareNodeQueue(ch, 'worker-node-2');
    for (let i = 0; i < 2; i++) ch.publish(Exchanges.Events, 'worker-node-1', Buffer.from('{}'));
    ch.publish(Exchanges.Dead, '', Buffer.from('{}'));
    await ch.waitForConfirms();
    await ch.consume(nodeQueueName('worker-node-2'), () => undefined);
  });
  after(async function () {
    await conn?.close().catch(() => undefined);
    await vh?.delete();
    await tdb?.drop();
  });

  const collect = (node?: string, managementUrl = vh.managementUrl) =>
    collectStatus({ db: tdb.sequelize, dbLabel: tdb.name, management: new ManagementClient(managementUrl), vhost: vhostOf(vh.url), node });

  it('counts configured, pending and failed per node, with queue depth, consumer and dead letters', async function () {
    // The management API's message and consumer counts trail by a stats interval.
    const report = await waitFor('queue statistics', async () => {
      const r = await collect();
      return r.nodes[0]?.queue.messages === 2 && r.deadLetters === 1 && r.nodes[1]?.queue.consuming ? r : undefined;
    }, { timeoutMs: 15_000, intervalMs: 500 });
    expect(report.vhost).to.equal(vh.vhost);
    expect(report.nodes.map((n) => [n.node, n.interfaces])).to.deep.equal([
      ['worker-node-1', { configured: 1, pending: 2, failed: 1 }],
      ['worker-node-2', { configured: 1, pending: 2, failed: 0 }],
    ]);
    expect(report.nodes[0]!.queue).to.include({ name: 'multinic.node.worker-node-1', exists: true, messages: 2, consuming: false });
    expect(report.nodes[1]!.queue).to.include({ exists: true, consuming: true, consumers: 1 });
    expect(report.unroutable).to.equal(0);
    expect(report.nodes.map((n) => [n.node, n.backend])).to.deep.equal([['worker-node-1', null], ['worker-node-2', 'networkmanager']]);
    const text = formatStatus(report);
    expect(text).to.match(/worker-node-1\s+1\s+2\s+1\s+2\s+NO/);
    expect(text).to.match(/dead letters \(multinic\.dead\):\s+1/);
  });

  it('limits the answer to one node with --node, and JSON round-trips', async function () {
    const report = await collect('worker-node-2');
    expect(report.nodes.map((n) => n.node)).to.deep.equal(['worker-node-2']);
    const json = JSON.parse(JSON.stringify(report)) as StatusReport;
    expect(json.nodes[0]).to.have.keys('node', 'inNodeTable', 'backend', 'interfaces', 'queue');
    expect(json).to.have.keys('vhost', 'nodes', 'deadLetters', 'unroutable');
  });

  it('lists queues and unroutable events of names not in node_table, and queues MultiNIC cannot use', async function () {
    const c = await conn.createConfirmChannel();
    await c.assertQueue(nodeQueueName('stray-node'), { durable: true });
    await c.bindQueue(nodeQueueName('stray-node'), Exchanges.Events, 'stray-node');
    c.publish(Exchanges.Events, 'stray-node', Buffer.from('{}'));
    c.publish(Exchanges.Events, 'ghost-node', Buffer.from('{}'));
    c.publish(Exchanges.Events, 'ghost-node', Buffer.from('{}'));
    await c.waitForConfirms();
    await c.close();
    try {
      const report = await waitFor('statistics of the new messages', async () => {
        const r = await collect();
        const stray = r.nodes.find((n) => n.node === 'stray-node');
        return stray?.queue.messages === 1 && r.unroutable === 2 ? r : undefined;
      }, { timeoutMs: 15_000, intervalMs: 500 });
      const ghost = report.nodes.find((n) => n.node === 'ghost-node')!;
      expect(ghost).to.deep.include({ inNodeTable: false });
      expect(ghost.queue).to.include({ exists: false, unroutable: 2 });
      const stray = report.nodes.find((n) => n.node === 'stray-node')!;
      expect(stray.inNodeTable).to.equal(false);
      expect(stray.queue.problem).to.match(/classic queue/);
      const text = formatStatus(report);
      expect(text).to.match(/ghost-node \(not in node_table\)/);
      expect(text).to.include('unroutable events by node name: ghost-node: 2');
      expect(text).to.include('queue multinic.node.stray-node is unusable');
      expect((await collect('ghost-node')).nodes.map((n) => n.node)).to.deep.equal(['ghost-node']);
      // Reading multinic.unroutable put its messages back.
      expect((await collect()).unroutable).to.equal(2);
    } finally {
      const d = await conn.createChannel();
      await d.deleteQueue(nodeQueueName('stray-node'));
      await d.purgeQueue('multinic.unroutable');
      await d.close();
    }
  });

  it('names the management API when it is unreachable', async function () {
    const err = await collect(undefined, 'http://guest:secret@127.0.0.1:1/').then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(StatusSourceError);
    expect(err!.message).to.match(/RabbitMQ management API .*not reachable/);
    expect(err!.message).to.not.include('secret');
  });

  it('`multinic status` with several management URLs of a cluster asks the next when one is unreachable', async function () {
    const db = tdb.db;
    const env = {
      PATH: process.env.PATH ?? '', MULTINIC_FROM_SOURCE: '1',
      DB_HOST: db.host, DB_PORT: String(db.port), DB_USER: db.user, DB_PASSWORD: db.password, DB_NAME: db.name,
      AMQP_URL: `${vh.url.replace(/@[^/]+\//, '@127.0.0.1:1/')},${vh.url}`,
      AMQP_MANAGEMENT_URL: `${vh.managementUrl.replace(/@[^/]+\//, '@127.0.0.1:1/')},${vh.managementUrl}`,
    };
    const { stdout } = await run(process.execPath, ['bin/multinic.js', 'status', '--json'], { env });
    const report = JSON.parse(stdout) as StatusReport;
    expect(report.vhost).to.equal(vh.vhost);
    expect(report.nodes.map((n) => n.queue.exists)).to.deep.equal([true, true]);
    const down = await run(process.execPath, ['bin/multinic.js', 'status'], { env: { ...env, AMQP_MANAGEMENT_URL: 'http://guest:secret@127.0.0.1:1/,http://guest:secret@127.0.0.1:2/' } }).catch((e: { code: number; stderr: string }) => e);
    expect(down).to.include({ code: 1 });
    expect((down as { stderr: string }).stderr).to.match(/127\.0\.0\.1:2 is not reachable.*also failed: .*127\.0\.0\.1:1 is not reachable/);
    expect((down as { stderr: string }).stderr).to.not.include('secret');
  });

  it('counts rows under node_table\'s name whatever spelling they use (the identity rule), --node too', async function () {
    await tdb.sequelize.query("UPDATE multi_interface SET attached_node_name = 'WORKER-NODE-2.novalocal' WHERE attached_node_name = 'worker-node-2'");
    const report = await collect();
    expect(report.nodes.map((n) => [n.node, n.interfaces, n.spellings])).to.deep.equal([
      ['worker-node-1', { configured: 1, pending: 2, failed: 1 }, undefined],
      ['worker-node-2', { configured: 1, pending: 2, failed: 0 }, ['WORKER-NODE-2.novalocal']],
    ]);
    expect((await collect('worker-node-2.novalocal')).nodes.map((n) => n.node)).to.deep.equal(['worker-node-2']);
    expect(formatStatus(report)).to.include('worker-node-2 (rows say WORKER-NODE-2.novalocal)');
  });
});
