import { expect } from 'chai';
import { connectAmqp, firstAnswering, type AmqpConnectionManager } from '../../../src/amqp/connection.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';
import { waitFor } from '../../helpers/wait.js';

/** Several brokers in AMQP_URL: the long-lived connection and the one-shot helper both move past a dead one. */
describe('AMQP failover over a list of brokers (real RabbitMQ)', function () {
  let vh: TestVhost;
  let conn: AmqpConnectionManager | undefined;
  const down = () => vh.url.replace(/@[^/]+\//, '@127.0.0.1:1/');

  beforeEach(async () => (vh = await createTestVhost('mnfo')));
  afterEach(async () => {
    await conn?.close().catch(() => undefined);
    await vh.delete();
  });

  it('connects to the next broker when the one picked first refuses, and logs both without the password', async () => {
    const ring = createRingLogger('failover-test');
    const connected: string[] = [];
    conn = connectAmqp([down(), vh.url], { connectionName: 'multinic-test failover', log: ring.log, reconnectSeconds: 0.2, random: () => 0 });
    conn.on('connect', ({ url }) => connected.push(String(url)));
    await waitFor('a connection to the live broker', () => connected.length > 0, { timeoutMs: 10_000 });
    expect(connected).to.deep.equal([vh.url]);
    const lines = ring.records().map((r) => JSON.stringify(r));
    expect(lines.some((l) => /cannot connect to RabbitMQ/.test(l) && l.includes('127.0.0.1:1/'))).to.equal(true);
    expect(lines.some((l) => /connected to RabbitMQ/.test(l) && l.includes(new URL(vh.url).host))).to.equal(true);
    expect(lines.join('\n')).to.not.include(decodeURIComponent(new URL(vh.url).password));
  });

  it('starts at the broker the random pick names, so one shared list spreads a fleet', async () => {
    const connected: string[] = [];
    conn = connectAmqp([down(), vh.url], { connectionName: 'multinic-test failover', log: createRingLogger().log, random: () => 0.99 });
    conn.on('connect', ({ url }) => connected.push(String(url)));
    const failed: string[] = [];
    conn.on('connectFailed', ({ url }) => failed.push(String(url)));
    await waitFor('a connection', () => connected.length > 0, { timeoutMs: 10_000 });
    expect(failed).to.deep.equal([]);
  });

  it('firstAnswering: the first success wins; a failure the caller does not want to pass on stops the search', async () => {
    const tried: number[] = [];
    expect(await firstAnswering([1, 2, 3], async (n) => (tried.push(n), n < 2 ? Promise.reject(new Error(`down ${n}`)) : n))).to.equal(2);
    expect(tried).to.deep.equal([1, 2]);
    const err = await firstAnswering([1, 2], async (n) => Promise.reject(new Error(`down ${n}`))).catch((e: Error) => e);
    expect((err as Error).message).to.equal('down 2 (also failed: down 1)');
    const stop = await firstAnswering([1, 2], async (n) => Promise.reject(new Error(`auth ${n}`)), () => false).catch((e: Error) => e);
    expect((stop as Error).message).to.equal('auth 1');
  });
});
