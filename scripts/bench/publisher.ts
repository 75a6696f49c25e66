/**
 * Publisher throughput/latency benchmark against the local MariaDB and RabbitMQ, in a
 * throwaway database and vhost (the test helpers' admin access), removed afterwards.
 *
 *   npx tsx scripts/bench/publisher.ts [nodes=100] [portsPerNode=30] [pollInterval=1s]
 *
 * How it measures: the publisher runs in this process with its real adapters and is idle
 * (node queues declared) when N rows are inserted in one INSERT. T0 is when that INSERT
 * returned. A row's "confirmed" time is when the publisher logged it as published, which
 * it does right after the broker's publisher confirm; its "consumed" time is when a
 * consumer on its node queue received it. Latencies are from T0; events/s is N divided
 * by the time from T0 to the last confirm (so it includes up to one poll interval of wait).
 */
import amqplib from 'amqplib';
import bunyan from 'bunyan';
import { Registry } from 'prom-client';
import { nodeQueueName } from '../../src/amqp/topology.js';
import { loadConfig } from '../../src/config/index.js';
import { migrate } from '../../src/db/index.js';
import { startPublisher } from '../../src/roots/publisher.js';
import { createTestDatabase } from '../../src/sandbox/test-database.js';
import { createTestVhost } from '../../src/sandbox/test-vhost.js';

const [nodes = 100, perNode = 30] = process.argv.slice(2, 4).map(Number);
const pollInterval = process.argv[4] ?? '1s';
const total = nodes * perNode;

function percentiles(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  return `p50 ${at(50)} ms, p90 ${at(90)} ms, p99 ${at(99)} ms, max ${s.at(-1)} ms`;
}

const t = await createTestDatabase('mnbench');
const v = await createTestVhost('mnbench');
let stop: (() => Promise<void>) | undefined;
let conn: amqplib.ChannelModel | undefined;
try {
  await migrate(t.sequelize, { info() {} });
  await t.sequelize.query("INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id) VALUES ('bench-subnet', 'bench', '10.64.0.0/16', 'bench-net')");
  const names = Array.from({ length: nodes }, (_, i) => `bench-node-${i}`);
  await t.sequelize.query(`INSERT INTO node_table (attached_node_id, attached_node_name) VALUES ${names.map((n) => `('${n}', '${n}')`).join(', ')}`);

  const confirmed = new Map<string, number>();
  // A synchronous raw stream: the time is taken in the same tick as the confirm.
  const capture = {
    write(rec: Record<string, unknown>) {
      if (typeof rec.msg === 'string' && rec.msg.startsWith('published')) confirmed.set(String(rec.portId), performance.now());
    },
  };
  const log = bunyan.createLogger({ name: 'bench', streams: [{ type: 'raw', level: 'info', stream: capture as unknown as NodeJS.WritableStream }, { level: 'warn', stream: process.stderr }] });
  const config = loadConfig({
    env: { DB_HOST: t.db.host, DB_PORT: String(t.db.port), DB_USER: t.db.user, DB_PASSWORD: t.db.password, DB_NAME: t.db.name, AMQP_URL: v.url, PUBLISHER_POLL_INTERVAL: pollInterval },
  });
  const publisher = startPublisher({ config, log, registry: new Registry() });
  stop = publisher.stop;

  conn = await amqplib.connect(v.url);
  const ch = await conn.createChannel();
  await ch.prefetch(1000);
  const consumed = new Map<string, number>();
  let allConsumed!: () => void;
  const done = new Promise<void>((r) => (allConsumed = r));
  // Wait until the publisher has declared every node queue, then consume from each.
  for (const n of names) {
    for (;;) {
      const probe = await conn.createChannel();
      probe.on('error', () => undefined);
      const ok = await probe.checkQueue(nodeQueueName(n)).then(() => true, () => false);
      if (ok) await probe.close();
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await ch.consume(nodeQueueName(n), (m) => {
      if (!m) return;
      consumed.set(JSON.parse(m.content.toString()).data.portId, performance.now());
      ch.ack(m);
      if (consumed.size === total) allConsumed();
    });
  }

  const values: string[] = [];
  for (let n = 0; n < nodes; n++)
    for (let p = 0; p < perNode; p++) {
      const i = n * perNode + p;
      values.push(`('bench-port-${i}', 'bench-subnet', 'fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}', 'bench-node-${n}', 0, '10.64.${(i >> 8) & 255}.${(i & 255) || 1}', NOW(3), NOW(3))`);
    }
  const sql = `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_name, netplan_success, address, created_at, modified_at) VALUES ${values.join(', ')}`;
  await t.sequelize.query(sql);
  const t0 = performance.now();
  const timeout = setTimeout(() => allConsumed(), 120_000);
  await done;
  clearTimeout(timeout);
  while (confirmed.size < total && performance.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 10));

  const confirmLat = [...confirmed.values()].map((x) => Math.round(x - t0));
  const consumeLat = [...consumed.values()].map((x) => Math.round(x - t0));
  const lastConfirm = Math.max(...confirmLat);
  console.log(`publisher benchmark: ${nodes} nodes x ${perNode} ports = ${total} rows inserted in one INSERT, poll interval ${pollInterval}`);
  console.log(`confirmed: ${confirmed.size}/${total}; consumed: ${consumed.size}/${total}`);
  console.log(`rows -> confirmed publish: ${percentiles(confirmLat)}`);
  console.log(`rows -> consumed from node queue: ${percentiles(consumeLat)}`);
  console.log(`throughput: ${Math.round((total / lastConfirm) * 1000)} events/s (T0 to last confirm, ${lastConfirm} ms)`);
} finally {
  await stop?.();
  await conn?.close().catch(() => undefined);
  await v.delete();
  await t.drop();
}
