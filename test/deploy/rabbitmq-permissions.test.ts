import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import { bindInspect, declareCore, declareNodeQueue, Exchanges, NODE_QUEUE_POLICY, nodeQueueName } from '../../src/amqp/topology.js';
import { ManagementClient } from '../../src/amqp/management.js';
import { applyNodeQueuePolicy } from '../../src/amqp/policy.js';
import { uniqueSuffix } from '../helpers/ids.js';
import { AMQP_HOST, createTestVhost, MANAGEMENT_ADMIN_URL, type TestVhost } from '../helpers/rabbitmq.js';

const run = promisify(execFile);
const script = (name: string) => fileURLToPath(new URL(`../../scripts/rabbitmq/${name}`, import.meta.url));

/** Runs one of scripts/rabbitmq/*.sh against the test broker; returns the generated password. */
async function createUser(name: string, args: string[]): Promise<string> {
  const admin = new URL(MANAGEMENT_ADMIN_URL);
  const env = {
    PATH: process.env.PATH,
    RABBITMQ_API: `${admin.protocol}//${admin.host}`,
    RABBITMQ_ADMIN_USER: decodeURIComponent(admin.username),
    RABBITMQ_ADMIN_PASSWORD: decodeURIComponent(admin.password),
  };
  const { stdout } = await run('bash', [script(name), ...args], { env });
  return stdout.trim();
}

function urlFor(user: string, password: string, vhost: string): string {
  return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${AMQP_HOST}/${encodeURIComponent(vhost)}`;
}

/** The channel-closing error of an operation, or undefined when it succeeded. */
async function refusal(conn: amqplib.ChannelModel, op: (ch: amqplib.ConfirmChannel) => Promise<unknown>): Promise<{ code?: number; message: string } | undefined> {
  const ch = await conn.createConfirmChannel();
  // A refused publish surfaces only as the channel's close (waitForConfirms just says "channel closed").
  let closedWith: { code?: number; message: string } | undefined;
  ch.on('error', (err: { code?: number; message: string }) => {
    closedWith = err;
  });
  try {
    await op(ch);
    await ch.close();
    return closedWith;
  } catch (err) {
    return closedWith ?? (err as { code?: number; message: string });
  }
}

describe('RabbitMQ per-node credentials (scripts/rabbitmq)', function () {
  let vh: TestVhost;
  const suffix = uniqueSuffix();
  const nodeA = `wa-${suffix}.novalocal`;
  const nodeB = `wb-${suffix}`;
  const publisherUser = `multinic-publisher-${suffix}`;
  const conns: amqplib.ChannelModel[] = [];
  let nodeUrl = '';
  let publisherUrl = '';
  let publisherPassword = '';

  before(async function () {
    vh = await createTestVhost('mnq');
    publisherPassword = await createUser('publisher-user.sh', [publisherUser, vh.vhost]);
    publisherUrl = urlFor(publisherUser, publisherPassword, vh.vhost);
    nodeUrl = urlFor(`multinic-node-${nodeA}`, await createUser('node-user.sh', [nodeA, vh.vhost]), vh.vhost);
  });

  after(async function () {
    for (const c of conns) await c.close().catch(() => undefined);
    await vh?.delete();
    for (const u of [publisherUser, `multinic-node-${nodeA}`]) await vh?.management.deleteUser(u);
  });

  async function connect(url: string): Promise<amqplib.ChannelModel> {
    const c = await amqplib.connect(url);
    c.on('error', () => undefined);
    conns.push(c);
    return c;
  }

  it('lets the publisher user declare the topology and every node queue, and publish events', async function () {
    const conn = await connect(publisherUrl);
    const err = await refusal(conn, async (ch) => {
      await declareCore(ch);
      await declareNodeQueue(ch, nodeA);
      await declareNodeQueue(ch, nodeB);
      ch.publish(Exchanges.Events, nodeA, Buffer.from('{"for":"a"}'), { persistent: true });
      ch.publish(Exchanges.Events, nodeB, Buffer.from('{}'), { persistent: true });
      await ch.waitForConfirms();
    });
    expect(err).to.equal(undefined);
  });

  it('lets the publisher user bind multinic.inspect and set the node queue policy through the management API', async function () {
    const conn = await connect(publisherUrl);
    const err = await refusal(conn, async (ch) => {
      await declareCore(ch);
      await declareNodeQueue(ch, nodeA);
      await bindInspect(ch, nodeA);
    });
    expect(err).to.equal(undefined);
    await vh.management.deletePolicy(vh.vhost, NODE_QUEUE_POLICY.name);
    const admin = new URL(MANAGEMENT_ADMIN_URL);
    const asPublisher = new ManagementClient(`${admin.protocol}//${encodeURIComponent(publisherUser)}:${encodeURIComponent(publisherPassword)}@${admin.host}/`);
    await applyNodeQueuePolicy(asPublisher, vh.vhost);
    expect(await vh.management.getPolicy(vh.vhost, NODE_QUEUE_POLICY.name)).to.deep.include({ pattern: NODE_QUEUE_POLICY.pattern });
  });

  it('lets a node user declare and consume its own queue and dead-letter to multinic.dead', async function () {
    const conn = await connect(nodeUrl);
    const err = await refusal(conn, async (ch) => {
      await declareNodeQueue(ch, nodeA);
      // Node queues are single-active-consumer quorum queues: basic.get is refused (405), consume is the way.
      const body = await new Promise<string>((resolve, reject) => {
        ch.consume(nodeQueueName(nodeA), (msg) => {
          if (!msg) return;
          ch.ack(msg);
          resolve(msg.content.toString());
        }).catch(reject);
      });
      expect(body, 'the event published for node A').to.equal('{"for":"a"}');
      ch.publish(Exchanges.Dead, '', Buffer.from('{}'), { headers: { 'x-multinic-error': 'test' } });
      await ch.waitForConfirms();
    });
    expect(err).to.equal(undefined);
  });

  it("refuses a node user another node's queue with 403 ACCESS_REFUSED", async function () {
    const conn = await connect(nodeUrl);
    const err = await refusal(conn, (ch) => ch.consume(nodeQueueName(nodeB), () => undefined));
    expect(err?.code).to.equal(403);
    expect(err?.message).to.match(/ACCESS_REFUSED/);
  });

  it('refuses a node user publishing to multinic.events', async function () {
    const conn = await connect(nodeUrl);
    const err = await refusal(conn, async (ch) => {
      ch.publish(Exchanges.Events, nodeB, Buffer.from('{}'));
      await ch.waitForConfirms();
    });
    expect(err?.code).to.equal(403);
  });

  it('refuses a node user declaring or deleting the shared exchanges and queues', async function () {
    const conn = await connect(nodeUrl);
    expect((await refusal(conn, (ch) => ch.deleteExchange(Exchanges.Events)))?.code).to.equal(403);
    expect((await refusal(conn, (ch) => ch.deleteQueue(nodeQueueName(nodeB))))?.code).to.equal(403);
    expect((await refusal(conn, (ch) => ch.purgeQueue('multinic.dead')))?.code).to.equal(403);
  });

  it('still finds the shared exchanges passively, which an agent under this user can use instead of declaring', async function () {
    const conn = await connect(nodeUrl);
    const err = await refusal(conn, async (ch) => {
      await ch.checkExchange(Exchanges.Events);
      await ch.checkExchange(Exchanges.Dead);
    });
    expect(err).to.equal(undefined);
  });
});
