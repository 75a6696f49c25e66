import { expect } from 'chai';
import amqplib from 'amqplib';
import { execFile } from 'node:child_process';
import { openDeadLetterSession, type DeadLetterSession } from '../../../src/amqp/dead-letter-queue.js';
import { declareCore, declareNodeQueue, Exchanges, nodeQueueName, Queues } from '../../../src/amqp/topology.js';
import { runDeadLetters, type DeadLetterFlags } from '../../../src/cli/commands/dead-letters-run.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';
import { waitFor } from '../../helpers/wait.js';

function buffers() {
  let out = '';
  let err = '';
  return { io: { out: { write: (s: string) => ((out += s), true) }, err: { write: (s: string) => ((err += s), true) } }, out: () => out, err: () => err };
}
const flags = (over: Partial<DeadLetterFlags> = {}): DeadLetterFlags => ({ limit: '100', output: 'text', ...over });
const event = (node: string, port: string) => Buffer.from(JSON.stringify({ specversion: '1.0', id: `ev-${port}`, type: 'io.multinic.interface.attach', data: { nodeName: node, portId: port } }));

/**
 * `multinic dead-letters list|replay|purge` on a real broker: dead letters as the agent
 * writes them (x-multinic-error and the original routing key) and as RabbitMQ writes them
 * (a rejected delivery of a node queue: x-death); list leaves everything, replay and purge
 * need confirmation, a replay goes back to the node's queue without the death headers.
 */
describe('multinic dead-letters (real RabbitMQ)', function () {
  this.timeout(60_000);
  let vh: TestVhost;
  let conn: amqplib.ChannelModel;
  let ch: amqplib.ConfirmChannel;
  let session: DeadLetterSession | undefined;
  const open = async () => (session = await openDeadLetterSession(vh.url));
  const depth = async (q: string) => (await ch.checkQueue(q)).messageCount;

  before(async function () {
    vh = await createTestVhost('mndl');
    conn = await amqplib.connect(vh.url);
    ch = await conn.createConfirmChannel();
    await declareCore(ch);
    for (const n of ['worker-node-1', 'worker-node-2']) await declareNodeQueue(ch, n);
    // The agent's copy of an invalid event (src/runtime/dead-letter.ts writes these headers).
    ch.publish(Exchanges.Dead, '', event('worker-node-1', 'p1'), {
      messageId: 'ev-p1', type: 'io.multinic.interface.attach', timestamp: Math.floor(Date.now() / 1000) - 90,
      headers: { 'x-multinic-error': 'invalid: schema: /data/mtu must be <= 9216', 'x-multinic-node': 'worker-node-1', 'x-multinic-port': 'p1', 'x-multinic-original-routing-key': 'worker-node-1', 'x-multinic-original-queue': 'multinic.node.worker-node-1' },
    });
    await ch.waitForConfirms();
    // RabbitMQ's own dead-lettering: a delivery of a node queue rejected without requeue.
    for (const [node, port] of [['worker-node-1', 'p2'], ['worker-node-2', 'p3']] as const) {
      ch.publish(Exchanges.Events, node, event(node, port), { messageId: `ev-${port}`, headers: { 'x-multinic-node': node, 'x-multinic-port': port } });
      await ch.waitForConfirms();
      const got = await new Promise<amqplib.ConsumeMessage>((resolve) => {
        void ch.consume(nodeQueueName(node), (m) => m && resolve(m), { noAck: false }).then(({ consumerTag }) => (tag = consumerTag));
      });
      ch.nack(got, false, false);
      await ch.cancel(tag);
    }
    await waitFor('three dead letters', async () => (await depth(Queues.Dead)) === 3);
  });
  let tag = '';
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });
  after(async function () {
    await conn?.close().catch(() => undefined);
    await vh?.delete();
  });

  it('lists every dead letter with who put it there and why, and leaves them all', async function () {
    const b = buffers();
    expect(await runDeadLetters('list', flags({ output: 'wide' }), { session: await open(), io: b.io })).to.equal(0);
    await session!.close();
    session = undefined;
    const lines = b.out().trim().split('\n');
    expect(lines[0]).to.match(/^#\s+AGE\s+NODE\s+PORT\s+TYPE\s+BY\s+EVENT ID\s+ROUTING KEY\s+REASON$/);
    expect(lines.slice(1).join('\n')).to.match(/1\s+1m\d\ds\s+worker-node-1\s+p1\s+attach\s+agent\s+ev-p1\s+worker-node-1\s+invalid: schema: \/data\/mtu must be <= 9216/);
    expect(lines.slice(1).join('\n')).to.match(/worker-node-1\s+p2\s+-\s+broker\s+ev-p2\s+worker-node-1\s+rejected by RabbitMQ from multinic\.node\.worker-node-1$/m);
    expect(b.err()).to.include('3 of the 3 dead letter(s) read from multinic.dead shown; all left in place');
    await waitFor('all three back in multinic.dead', async () => (await depth(Queues.Dead)) === 3);
  });

  it('filters by node, event id and reason; -o json', async function () {
    const b = buffers();
    expect(await runDeadLetters('list', flags({ node: 'worker-node-2', output: 'json' }), { session: await open(), io: b.io })).to.equal(0);
    expect((JSON.parse(b.out()) as { matched: Array<{ port: string }> }).matched.map((m) => m.port)).to.deep.equal(['p3']);
    await session!.close();
    const c = buffers();
    expect(await runDeadLetters('list', flags({ reason: 'MTU MUST', output: 'json' }), { session: await open(), io: c.io })).to.equal(0);
    expect((JSON.parse(c.out()) as { matched: Array<{ eventId: string }> }).matched.map((m) => m.eventId)).to.deep.equal(['ev-p1']);
  });

  it('replay and purge change nothing unless confirmed', async function () {
    const b = buffers();
    expect(await runDeadLetters('replay', flags(), { session: await open(), io: b.io })).to.equal(2);
    expect(b.err()).to.include('refusing without --yes (no terminal to ask on)');
    await session!.close();
    const asked: string[] = [];
    const c = buffers();
    expect(await runDeadLetters('purge', flags(), { session: await open(), io: c.io, confirm: async (q) => (asked.push(q), false) })).to.equal(2);
    expect(asked[0]).to.match(/^delete for good: 3 dead letter\(s\)\? Type yes to go on: $/);
    expect(c.err()).to.include('not confirmed; nothing changed');
    await session!.close();
    session = undefined;
    await waitFor('all three still in multinic.dead', async () => (await depth(Queues.Dead)) === 3);
  });

  it("replays worker-node-1's dead letters to its queue without the death headers, then purges the rest", async function () {
    const b = buffers();
    expect(await runDeadLetters('replay', flags({ node: 'worker-node-1', yes: true }), { session: await open(), io: b.io })).to.equal(0);
    expect(b.err()).to.include('replayed 2 dead letter(s); 1 left in multinic.dead');
    await session!.close();
    session = undefined;
    const replayed: amqplib.ConsumeMessage[] = [];
    await new Promise<void>((resolve) => {
      void ch.consume(nodeQueueName('worker-node-1'), (m) => {
        if (m) replayed.push(m);
        if (replayed.length === 2) resolve();
      }, { noAck: true }).then(({ consumerTag }) => (tag = consumerTag));
    });
    await ch.cancel(tag);
    expect(replayed.map((m) => m.properties.messageId).sort()).to.deep.equal(['ev-p1', 'ev-p2']);
    for (const m of replayed) {
      expect(Object.keys(m.properties.headers ?? {}).filter((k) => /death|error|original/.test(k)), String(m.properties.messageId)).to.deep.equal([]);
      expect(m.properties.headers).to.include({ 'x-multinic-node': 'worker-node-1' });
    }
    const p = buffers();
    expect(await runDeadLetters('purge', flags({ yes: true }), { session: await open(), io: p.io })).to.equal(0);
    expect(p.err()).to.include('purged 1 dead letter(s); 0 left in multinic.dead');
    await waitFor('multinic.dead empty', async () => (await depth(Queues.Dead)) === 0);
  });

  it('through the CLI: a malformed --limit exits 2, purge without a terminal and --yes exits 2 and keeps everything', async function () {
    ch.publish(Exchanges.Dead, '', event('worker-node-1', 'p9'), { headers: { 'x-multinic-error': 'permanent: kept' } });
    await ch.waitForConfirms();
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        execFile(process.execPath, ['bin/multinic.js', 'dead-letters', ...args], { env: { PATH: process.env.PATH ?? '', MULTINIC_FROM_SOURCE: '1', AMQP_URL: vh.url }, timeout: 30_000 }, (e, _out, err) => {
          const code = e ? (e as { code?: unknown }).code : 0;
          resolve({ code: typeof code === 'number' ? code : null, err });
        });
      });
    const bad = await cli('list', '--limit', '1e9');
    expect(bad.code, bad.err).to.equal(2);
    expect(bad.err).to.include('--limit must be an integer');
    const refused = await cli('purge');
    expect(refused.code, refused.err).to.equal(2);
    expect(refused.err).to.include('refusing without --yes');
    await waitFor('the dead letter kept', async () => (await depth(Queues.Dead)) === 1);
  });
});
