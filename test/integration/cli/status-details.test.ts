import { expect } from 'chai';
import amqplib from 'amqplib';
import { execFile } from 'node:child_process';
import { QueryTypes } from 'sequelize';
import { ManagementClient } from '../../../src/amqp/management.js';
import { declareCore, declareNodeQueue, Exchanges } from '../../../src/amqp/topology.js';
import { migrate, seed } from '../../../src/db/index.js';
import { createMysqlLeadership } from '../../../src/db/mysql-lock.js';
import { vhostOf } from '../../../src/status/broker.js';
import { collectDetails } from '../../../src/status/details.js';
import { formatFullStatus } from '../../../src/status/format.js';
import { collectStatus } from '../../../src/status/report.js';
import { uniqueSuffix } from '../../helpers/ids.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';
import { waitFor } from '../../helpers/wait.js';

const P = (n: number) => `7f3e2a10-0000-4000-8000-000000000${n}`;

/**
 * `multinic status`'s details on the real services (issue 16 point 3): a failed row with
 * the agent's reason, pending rows, a row naming an unknown node, dead-letter reasons, the
 * active publisher; `--cr`, `-o wide|json` and `--node nosuch-node` through the real CLI.
 */
describe('multinic status: rows with reasons, dead-letter reasons, active publisher (real MariaDB and RabbitMQ)', function () {
  this.timeout(60_000);
  let t: TestDatabase;
  let vh: TestVhost;
  let conn: amqplib.ChannelModel;
  const lockName = `mnsd-${uniqueSuffix()}`;
  let leader: ReturnType<typeof createMysqlLeadership>;

  before(async function () {
    t = await createTestDatabase('mnsd');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    // 113 (worker-node-1) failed at its current version, as recordFailure writes it.
    await t.sequelize.query(
      `INSERT INTO multinic_port_state (port_id, node_name, generation, content_digest, outcome, last_error, updated_at)
       SELECT port_id, attached_node_name, ROUND(UNIX_TIMESTAMP(modified_at) * 1000), REPEAT('a', 32), 'failed', 'HostError: netplan generate rejected 90-multinic-multinic2.yaml', NOW(3)
       FROM multi_interface WHERE port_id = ?`,
      { replacements: [P(113)], type: QueryTypes.INSERT },
    );
    // A live row naming a node node_table does not know.
    await t.sequelize.query(
      `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_name, netplan_success, status, address, cr_namespace, cr_name, created_at, modified_at)
       SELECT 'port-unknown', subnet_id, 'fa:16:3e:10:09:01', 'worker-node-9', 0, 'ACTIVE', NULL, 'tenant-a', 'multinic-worker-node-9', NOW(3), NOW(3) FROM multi_subnet LIMIT 1`,
    );
    vh = await createTestVhost('mnsd');
    conn = await amqplib.connect(vh.url);
    const ch = await conn.createConfirmChannel();
    await declareCore(ch);
    await declareNodeQueue(ch, 'worker-node-1');
    for (const reason of ['permanent: HostError: NIC fa:16:3e:10:01:13 is owned by 50-cloud-init.yaml', 'permanent: HostError: NIC fa:16:3e:10:01:13 is owned by 50-cloud-init.yaml', 'invalid: schema: /data/mtu must be <= 9216']) {
      ch.publish(Exchanges.Dead, '', Buffer.from('{"data":{"nodeName":"worker-node-1","portId":"p"}}'), { headers: { 'x-multinic-error': reason, 'x-multinic-node': 'worker-node-1' } });
    }
    await ch.waitForConfirms();
    leader = createMysqlLeadership({ db: t.db, lockName, log: { info: () => undefined, warn: () => undefined, error: () => undefined } as never });
    expect(await leader.ensure()).to.equal(true);
  });
  after(async function () {
    await leader?.close().catch(() => undefined);
    await conn?.close().catch(() => undefined);
    await vh?.delete();
    await t?.drop();
  });

  const details = (over: Partial<Parameters<typeof collectDetails>[0]> = {}) =>
    collectDetails({ db: t.sequelize, management: new ManagementClient(vh.managementUrl), vhost: vhostOf(vh.url), lockName, ...over });

  it('lists the failed, pending and unknown-node rows with their reasons, oldest first', async function () {
    const d = await details();
    const byPort = new Map(d.rows.map((r) => [r.portId, r]));
    expect(byPort.get(P(113))).to.include({ state: 'failed', work: 'attach', node: 'worker-node-1' });
    expect(byPort.get(P(113))!.reason).to.include('failed this version: HostError: netplan generate rejected');
    expect(byPort.get(P(112))).to.include({ state: 'pending', work: 'attach' });
    expect(byPort.get(P(112))!.reason).to.match(/^waiting \S+ for the agent on worker-node-1 to configure it$/);
    expect(byPort.get('port-unknown')).to.include({ state: 'unknown-node', node: 'worker-node-9', cr: 'tenant-a/multinic-worker-node-9' });
    expect(byPort.get('port-unknown')!.reason).to.include('node_table has no live node named "worker-node-9"');
    expect(d.rows.map((r) => r.state)).to.not.include('configured');
    expect(byPort.has(P(111)), 'a configured row is not listed').to.equal(false);
    expect(d.rows.map((r) => r.generation)).to.deep.equal([...d.rows.map((r) => r.generation)].sort((a, b) => a - b));
    const limited = await details({ limit: 2 });
    expect(limited.rows).to.have.length(2);
    expect(limited.rowsTruncated).to.equal(true);
  });

  it('groups the dead letters by reason without consuming them, and names the active publisher', async function () {
    const d = await waitFor('three dead letters', async () => ((await details()).deadLetterReasons.reduce((n, r) => n + r.count, 0) === 3 ? details() : undefined), { timeoutMs: 15_000, intervalMs: 500 });
    expect(d.deadLetterReasons).to.deep.equal([
      { reason: 'permanent: HostError: NIC fa:16:3e:10:01:13 is owned by 50-cloud-init.yaml', count: 2 },
      { reason: 'invalid: schema: /data/mtu must be <= 9216', count: 1 },
    ]);
    const ch = await conn.createChannel();
    expect((await ch.checkQueue('multinic.dead')).messageCount, 'peeking requeues').to.equal(3);
    await ch.close();
    expect(d.publisher.lock.connectionId).to.be.a('number');
    expect(d.publisher.lock.user, 'root sees the holder in PROCESSLIST').to.be.a('string');
    const text = formatFullStatus({ ...(await collectStatus({ db: t.sequelize, dbLabel: t.name, management: new ManagementClient(vh.managementUrl), vhost: vhostOf(vh.url) })), ...d });
    expect(text).to.match(/worker-node-1\s+1\s+2\s+1\s+/);
    expect(text).to.match(/worker-node-9 \(not in node_table\)/);
    expect(text).to.match(/\n\s+2\s+permanent: HostError: NIC fa:16:3e:10:01:13 is owned by 50-cloud-init.yaml\n/);
    expect(text).to.match(new RegExp(`active publisher: MySQL connection ${d.publisher.lock.connectionId} \\(.*\\) holds lock "${lockName}"`));
    expect((await details({ node: 'worker-node-2' })).deadLetterReasons, "another node's dead letters are not this node's").to.deep.equal([]);
    const none = await details({ lockName: `${lockName}-nobody` });
    expect(formatFullStatus({ ...(await collectStatus({ db: t.sequelize, dbLabel: t.name, management: new ManagementClient(vh.managementUrl), vhost: vhostOf(vh.url) })), ...none })).to.include('active publisher: NONE');
  });

  it('judges a row\'s node by the node-identity rule: another spelling of a known node is not unknown, --node takes any spelling, a name fitting two nodes is nobody\'s', async function () {
    const row = (port: string, node: string, success: 0 | 1) =>
      t.sequelize.query(
        `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_name, netplan_success, status, address, created_at, modified_at)
         SELECT ?, subnet_id, 'fa:16:3e:10:09:02', ?, ?, 'ACTIVE', NULL, NOW(3), NOW(3) FROM multi_subnet LIMIT 1`,
        { replacements: [port, node, success] },
      );
    await row('port-spelled-done', 'WORKER-NODE-2.novalocal', 1);
    await row('port-spelled-pending', 'worker-node-2.novalocal', 0);
    await t.sequelize.query("INSERT INTO node_table (attached_node_id, attached_node_name, status, created_at) VALUES ('edge-a', 'edge-1.a', 'ACTIVE', NOW(3)), ('edge-b', 'edge-1.b', 'ACTIVE', NOW(3))");
    await row('port-ambiguous', 'edge-1', 0);
    try {
      const byPort = new Map((await details()).rows.map((r) => [r.portId, r]));
      expect(byPort.has('port-spelled-done'), 'a configured row under another spelling of a known node is not listed').to.equal(false);
      expect(byPort.get('port-spelled-pending')).to.include({ state: 'pending', node: 'worker-node-2.novalocal' });
      expect(byPort.get('port-ambiguous')).to.include({ state: 'unknown-node' });
      expect(byPort.get('port-ambiguous')!.reason).to.include('fits several node_table names (edge-1.a, edge-1.b)');
      expect((await details({ node: 'worker-node-2' })).rows.map((r) => r.portId)).to.include('port-spelled-pending');
      expect((await details({ node: 'Worker-Node-2.novalocal.' })).rows.map((r) => r.portId)).to.include('port-spelled-pending');
      expect((await details({ node: 'worker-node-1' })).rows.map((r) => r.portId)).to.not.include('port-spelled-pending');
    } finally {
      await t.sequelize.query("DELETE FROM multi_interface WHERE port_id IN ('port-spelled-done', 'port-spelled-pending', 'port-ambiguous')");
      await t.sequelize.query("DELETE FROM node_table WHERE attached_node_id IN ('edge-a', 'edge-b')");
    }
  });

  describe('through the CLI', function () {
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const env = {
          PATH: process.env.PATH ?? '', MULTINIC_FROM_SOURCE: '1', DB_HOST: t.db.host, DB_PORT: String(t.db.port), DB_USER: t.db.user, DB_PASSWORD: t.db.password, DB_NAME: t.db.name,
          AMQP_URL: vh.url, AMQP_MANAGEMENT_URL: vh.managementUrl, PUBLISHER_LOCK_NAME: lockName,
        };
        execFile(process.execPath, ['bin/multinic.js', 'status', ...args], { env, timeout: 30_000 }, (e, out, err) => {
          const code = e ? (e as { code?: unknown }).code : 0;
          resolve({ code: typeof code === 'number' ? code : null, out, err });
        });
      });

    it('--node nosuch-node exits 1 naming it; a malformed --cr or --limit exits 2', async function () {
      const r = await cli('--node', 'nosuch-node');
      expect(r.code, r.err).to.equal(1);
      expect(r.err).to.include('no node named "nosuch-node" in node_table or multi_interface');
      for (const [args, message] of [
        [['--cr', 'no-slash'], /--cr must be NAMESPACE\/NAME/],
        [['--cr', 'Tenant/$(id)'], /--cr must be NAMESPACE\/NAME/],
        [['--cr', 'a/b', '--node', 'worker-node-1'], /exclude each other/],
        [['--limit', '0'], /--limit must be an integer/],
        [['-o', 'yaml'], /Allowed choices are text, wide, json/],
      ] as const) {
        const bad = await cli(...args);
        expect(bad.code, `${args.join(' ')}: ${bad.err}`).to.equal(2);
        expect(bad.err).to.match(message);
        expect(bad.out).to.equal('');
      }
    });

    it('--cr shows one CR across nodes; -o wide adds columns; -o json carries the rows, reasons and publisher', async function () {
      const cr = await cli('--cr', 'tenant-a/multinic-worker-node-9', '-o', 'wide');
      expect(cr.code, cr.err).to.equal(0);
      expect(cr.out).to.match(/^OpenstackConfig tenant-a\/multinic-worker-node-9: 1 interface\(s\) on 1 node\(s\)\n/);
      expect(cr.out).to.match(/NODE\s+PORT\s+STATE\s+WORK\s+AGE\s+MAC\s+ADDRESS\s+CR\s+GENERATION\s+REASON/);
      expect(cr.out).to.match(/worker-node-9\s+port-unknown\s+unknown-node\s+attach\s+\S+\s+fa:16:3e:10:09:01\s+dhcp\s+tenant-a\/multinic-worker-node-9/);
      const json = await cli('-o', 'json', '--node', 'worker-node-1');
      expect(json.code, json.err).to.equal(0);
      const s = JSON.parse(json.out) as { nodes: unknown[]; rows: Array<{ state: string }>; deadLetterReasons: unknown[]; publisher: { lock: { lockName: string } } };
      expect(s.nodes).to.have.length(1);
      expect(s.rows.map((r) => r.state).sort()).to.deep.equal(['failed', 'pending', 'pending']);
      expect(s.publisher.lock.lockName).to.equal(lockName);
    });
  });
});
