import amqplib from 'amqplib';
import { Registry } from 'prom-client';
import { QueryTypes } from 'sequelize';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { migrate } from '../../../src/db/index.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { startPublisher, type RunningPublisher } from '../../../src/roots/publisher.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';

/** One test's database (migrated, with nodes and subnets) and vhost, plus ways to write rows and read queues. */
export interface PublisherEnv {
  t: TestDatabase;
  v: TestVhost;
  /** Environment variables that point a `multinic publisher` child process at this env. */
  env: Record<string, string>;
  config(overrides?: Record<string, unknown>): Config;
  start(overrides?: Record<string, unknown>): RunningPublisher & { records: () => Array<Record<string, unknown>>; registry: Registry };
  addNode(name: string): Promise<void>;
  addInterface(port: string, node: string, over?: Record<string, unknown>): Promise<void>;
  sql(text: string, replacements?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /**
   * Consumes exactly `count` messages from a queue (node queues are single-active-consumer
   * quorum queues, which refuse basic.get), acks them, and returns them in order.
   */
  take(queue: string, count: number): Promise<amqplib.ConsumeMessage[]>;
  messageCount(queue: string): Promise<number>;
  close(): Promise<void>;
}

export const SUBNET = { subnet_id: 'subnet-data', subnet_name: 'data-net', cidr: '192.168.100.0/24', network_id: 'network-data' };

let macCounter = 1;

/** Turns "no such queue (yet)" into a value; anything else still fails the test. */
const notFound =
  <T,>(value: T) =>
  (err: { code?: number }): T => {
    if (err.code === 404) return value;
    throw err;
  };

export async function createPublisherEnv(): Promise<PublisherEnv> {
  const t = await createTestDatabase('mnpub');
  const v = await createTestVhost('mnpub').catch(async (err) => {
    await t.drop();
    throw err;
  });
  const running: RunningPublisher[] = [];
  let conn: amqplib.ChannelModel | undefined;
  let ch: amqplib.Channel | undefined;
  const channel = async () => {
    conn ??= await amqplib.connect(v.url);
    if (!ch) {
      // A check of a queue that does not exist yet closes the channel (404): open another next time.
      const c = await conn.createChannel();
      c.on('error', () => undefined);
      c.on('close', () => {
        if (ch === c) ch = undefined;
      });
      ch = c;
    }
    return ch;
  };
  await migrate(t.sequelize, createRingLogger().log);
  await t.sequelize.query('INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, created_at) VALUES (?, ?, ?, ?, NOW(3))', {
    replacements: [SUBNET.subnet_id, SUBNET.subnet_name, SUBNET.cidr, SUBNET.network_id],
  });
  const env = {
    DB_HOST: t.db.host,
    DB_PORT: String(t.db.port),
    DB_USER: t.db.user,
    DB_PASSWORD: t.db.password,
    DB_NAME: t.db.name,
    AMQP_URL: v.url,
    AMQP_MANAGEMENT_URL: v.managementUrl,
    HTTP_PORT: '0',
    PUBLISHER_POLL_INTERVAL: '100ms',
    PUBLISHER_NODE_REFRESH: '500ms',
  };
  const config = (overrides: Record<string, unknown> = {}) => loadConfig({ env, overrides });
  const sql = async (text: string, replacements: unknown[] = []): Promise<Array<Record<string, unknown>>> => {
    if (/^\s*(SELECT|EXPLAIN)\b/i.test(text)) return t.sequelize.query<Record<string, unknown>>(text, { replacements, type: QueryTypes.SELECT });
    await t.sequelize.query(text, { replacements });
    return [];
  };
  return {
    t,
    v,
    env,
    config,
    start(overrides = {}) {
      const { log, records } = createRingLogger('publisher');
      const registry = new Registry();
      const p = startPublisher({ config: config(overrides), log, registry });
      running.push(p);
      return Object.assign(p, { records, registry });
    },
    async addNode(name) {
      await t.sequelize.query('INSERT INTO node_table (attached_node_id, attached_node_name, created_at) VALUES (?, ?, NOW(3))', { replacements: [`id-${name}`, name] });
    },
    async addInterface(port, node, over = {}) {
      const n = macCounter++;
      const row: Record<string, unknown> = {
        port_id: port,
        subnet_id: SUBNET.subnet_id,
        macaddress: `fa:16:3e:${((n >> 16) & 255).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
        attached_node_name: node,
        netplan_success: 0,
        address: null,
        mtu: null,
        created_at: new Date(),
        modified_at: new Date(),
        deleted_at: null,
        ...over,
      };
      const cols = Object.keys(row);
      await t.sequelize.query(`INSERT INTO multi_interface (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, { replacements: Object.values(row) });
    },
    sql,
    async take(queue, count) {
      const c = await channel();
      const got: amqplib.ConsumeMessage[] = [];
      let done!: () => void;
      const all = new Promise<void>((r) => (done = r));
      const { consumerTag } = await c.consume(queue, (m) => {
        if (!m) return;
        if (got.length < count) {
          got.push(m);
          c.ack(m);
        } else c.nack(m, false, true);
        if (got.length === count) done();
      });
      if (count === 0) done();
      const timer = setTimeout(done, 10_000);
      await all;
      clearTimeout(timer);
      await c.cancel(consumerTag);
      return got;
    },
    async messageCount(queue) {
      const q = await (await channel()).checkQueue(queue).catch(notFound(undefined));
      return q?.messageCount ?? 0;
    },
    async close() {
      for (const p of running) await p.stop().catch(() => undefined);
      await conn?.close().catch(() => undefined);
      await v.delete().catch(() => undefined);
      await t.drop();
    },
  };
}
