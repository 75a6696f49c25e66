import { expect } from 'chai';
import amqplib from 'amqplib';
import { declareCore, declareNodeQueue, nodeQueueName } from '../../../src/amqp/topology.js';
import { PUBLISH_APP_ID, runPublish, type PublishFlags } from '../../../src/cli/commands/publish.js';
import { CLOUDEVENTS_CONTENT_TYPE, validateEvent } from '../../../src/events/index.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';

const NODE = 'worker-node-1';
const GOOD: PublishFlags = {
  node: NODE, port: 'port-1', mac: 'FA:16:3E:00:00:01', subnetId: 'subnet-1', subnetName: 'data-net', networkId: 'net-1',
  cidr: '192.168.100.0/24', address: '192.168.100.7', mtu: '9000', generation: '1700000000000',
};

function buffers() {
  let out = '';
  let err = '';
  return { io: { out: { write: (s: string) => ((out += s), true) }, err: { write: (s: string) => ((err += s), true) } }, out: () => out, err: () => err };
}

describe('multinic publish (real RabbitMQ)', function () {
  let vh: TestVhost;
  let conn: amqplib.ChannelModel;
  let ch: amqplib.Channel;

  beforeEach(async function () {
    vh = await createTestVhost('mnp');
    conn = await amqplib.connect(vh.url);
    ch = await conn.createChannel();
    await declareCore(ch);
    await declareNodeQueue(ch, NODE);
  });
  afterEach(async function () {
    await conn?.close().catch(() => undefined);
    await vh?.delete();
  });

  it("puts a valid event on the node's queue with the contract's properties and prints its id", async function () {
    const b = buffers();
    const code = await runPublish('attach', GOOD, { amqpUrl: vh.url, io: b.io });
    expect(code, b.err()).to.equal(0);
    // Single-active-consumer quorum queues refuse basic.get: consume the one message.
    const m = await new Promise<amqplib.ConsumeMessage>((resolve) => void ch.consume(nodeQueueName(NODE), (msg) => msg && resolve(msg), { noAck: true }));
    const event = validateEvent(JSON.parse(m.content.toString()));
    expect(b.out().trim()).to.equal(event.id);
    expect(m.properties.messageId).to.equal(event.id);
    expect(m.properties.type).to.equal('io.multinic.interface.attach');
    expect(m.properties.appId).to.equal(PUBLISH_APP_ID);
    expect(m.properties.contentType).to.equal(CLOUDEVENTS_CONTENT_TYPE);
    expect(m.properties.deliveryMode).to.equal(2);
    expect(m.properties.headers).to.include({ 'x-multinic-node': NODE, 'x-multinic-port': 'port-1' });
    expect(event.data).to.include({ macAddress: 'fa:16:3e:00:00:01', address: '192.168.100.7', mtu: 9000, generation: 1700000000000 });
  });

  for (const [what, flags, reason] of [
    ['a bad MAC', { ...GOOD, mac: 'fa:16:3e:00:00' }, /--mac/],
    ['an address outside the CIDR', { ...GOOD, address: '10.0.0.1' }, /outside its cidr/],
    ['mtu 70000', { ...GOOD, mtu: '70000' }, /--mtu/],
    ['a node name with a space', { ...GOOD, node: 'worker node 1' }, /--node/],
    ['a non-numeric mtu', { ...GOOD, mtu: 'big' }, /--mtu must be a non-negative integer/],
  ] as const) {
    it(`refuses ${what} with exit 2, one clear line, and publishes nothing`, async function () {
      const b = buffers();
      const code = await runPublish('attach', flags as PublishFlags, { amqpUrl: vh.url, io: b.io });
      expect(code).to.equal(2);
      expect(b.err()).to.match(reason).and.match(/nothing published/);
      expect(b.err().trim().split('\n')).to.have.length(1);
      expect(b.out()).to.equal('');
      expect((await ch.checkQueue(nodeQueueName(NODE))).messageCount).to.equal(0);
      expect((await ch.checkQueue('multinic.unroutable')).messageCount).to.equal(0);
    });
  }

  it('refuses a node that has no queue with exit 2, creates no queue, and publishes nothing', async function () {
    const b = buffers();
    const code = await runPublish('attach', { ...GOOD, node: 'worker-node-9' }, { amqpUrl: vh.url, io: b.io });
    expect(code).to.equal(2);
    expect(b.err().trim().split('\n')).to.have.length(1);
    expect(b.err()).to.include('no queue multinic.node.worker-node-9').and.include('nothing published');
    expect(await vh.management.getQueue(vh.vhost, nodeQueueName('worker-node-9'))).to.equal(undefined);
    const unroutable = await vh.management.getQueue(vh.vhost, 'multinic.unroutable');
    expect(unroutable?.messages ?? 0).to.equal(0);
  });

  it('prints the event and publishes nothing with --dry-run', async function () {
    const b = buffers();
    expect(await runPublish('detach', { ...GOOD, address: undefined, dryRun: true }, { amqpUrl: vh.url, io: b.io })).to.equal(0);
    const event = validateEvent(JSON.parse(b.out()));
    expect(event.type).to.equal('io.multinic.interface.detach');
    expect(event.data.address).to.equal(null);
    expect((await ch.checkQueue(nodeQueueName(NODE))).messageCount).to.equal(0);
  });

  it('says what it sent and where it went; a node with no queue gets neither the event nor a queue', async function () {
    const b = buffers();
    expect(await runPublish('attach', GOOD, { amqpUrl: vh.url, io: b.io })).to.equal(0);
    expect(b.err()).to.match(/^published io\.multinic\.interface\.attach \S+\n/);
    expect(b.err()).to.include('port port-1 on node worker-node-1: MAC fa:16:3e:00:00:01, 192.168.100.0/24 address 192.168.100.7 MTU 9000, generation 1700000000000');
    expect(b.err()).to.include('-> queue multinic.node.worker-node-1, no agent consuming yet');

    // Issue 13 point 4 decides against climetrics' first answer (exit 0, the event in multinic.unroutable):
    // a node with no queue is refused, nothing is published and no queue is created.
    const lost = buffers();
    expect(await runPublish('attach', { ...GOOD, node: 'nosuch-node' }, { amqpUrl: vh.url, io: lost.io })).to.equal(2);
    expect(lost.err()).to.include('no queue multinic.node.nosuch-node').and.include('"nosuch-node"').and.include('nothing published');
    expect(lost.out()).to.equal('');
    expect((await ch.checkQueue('multinic.unroutable')).messageCount).to.equal(0);
    const noQueue = await conn.createChannel();
    noQueue.on('error', () => undefined);
    const missing = await noQueue.checkQueue(nodeQueueName('nosuch-node')).then(() => 'exists', (e: { code?: number }) => e.code);
    expect(missing, 'publish declares no queue of its own').to.equal(404);
  });

  it('-o json prints the event and its receipt', async function () {
    const b = buffers();
    expect(await runPublish('attach', { ...GOOD, output: 'json' }, { amqpUrl: vh.url, io: b.io })).to.equal(0);
    const { event, receipt } = JSON.parse(b.out()) as { event: { id: string }; receipt: Record<string, unknown> };
    expect(receipt).to.deep.equal({ exchange: 'multinic.events', routingKey: NODE, queue: 'multinic.node.worker-node-1', consumers: 0 });
    expect(b.err()).to.equal('');
    const m = await new Promise<amqplib.ConsumeMessage>((resolve) => void ch.consume(nodeQueueName(NODE), (msg) => msg && resolve(msg), { noAck: true }));
    expect(m.properties.messageId).to.equal(event.id);
  });

  it('lists every problem at once and publishes nothing', async function () {
    const b = buffers();
    expect(await runPublish('attach', { ...GOOD, mac: 'FA-16-3E-00-00', cidr: '10.0.0.1/8', mtu: '70000' }, { amqpUrl: vh.url, io: b.io })).to.equal(2);
    const lines = b.err().trim().split('\n');
    expect(lines[0]).to.equal('multinic publish: invalid event, nothing published: 3 problems:');
    expect(lines.slice(1).map((l) => l.trim().split(' ')[0])).to.deep.equal(['--mac', '--cidr', '--mtu']);
    expect((await ch.checkQueue(nodeQueueName(NODE))).messageCount).to.equal(0);
    expect((await ch.checkQueue('multinic.unroutable')).messageCount).to.equal(0);
  });

  it('a detach with only --node and --port takes the rest from the row; no row, or no database, is a clear error', async function () {
    const row = { port_id: 'port-1', macaddress: 'fa:16:3e:00:00:01', subnet_id: 'subnet-1', subnet_name: 'data-net', network_id: 'net-1', cidr: '192.168.100.0/24', address: '192.168.100.7', mtu: null, cr_namespace: null, cr_name: null };
    const b = buffers();
    const asked: string[] = [];
    const readRow = async (id: string) => (asked.push(id), row as never);
    expect(await runPublish('detach', { node: NODE, port: 'port-1' }, { amqpUrl: vh.url, io: b.io, readRow }), b.err()).to.equal(0);
    expect(asked).to.deep.equal(['port-1']);
    const m = await new Promise<amqplib.ConsumeMessage>((resolve) => void ch.consume(nodeQueueName(NODE), (msg) => msg && resolve(msg), { noAck: true }));
    expect(validateEvent(JSON.parse(m.content.toString())).data).to.include({ portId: 'port-1', macAddress: 'fa:16:3e:00:00:01', cidr: '192.168.100.0/24' });

    const none = buffers();
    expect(await runPublish('detach', { node: NODE, port: 'port-2' }, { amqpUrl: vh.url, io: none.io, readRow: async () => undefined })).to.equal(2);
    expect(none.err()).to.include('--mac is missing').and.include('--cidr is missing');
    const down = buffers();
    const unreachable = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    };
    expect(await runPublish('detach', { node: NODE, port: 'port-2' }, { amqpUrl: vh.url, io: down.io, readRow: unreachable })).to.equal(1);
    expect(down.err()).to.include('cannot read port "port-2" from the database').and.include('give --mac, --subnet-id, --network-id and --cidr');
  });

  it('fails with exit 1 naming RabbitMQ when the broker is unreachable', async function () {
    const b = buffers();
    expect(await runPublish('attach', GOOD, { amqpUrl: 'amqp://u:secret@127.0.0.1:1/x', io: b.io })).to.equal(1);
    expect(b.err()).to.match(/RabbitMQ at .* is not reachable/);
    expect(b.err()).to.not.include('secret');
  });

  it('with several brokers of one cluster, fails over past an unreachable one; names every failure when none answers', async function () {
    const down = (port: number) => vh.url.replace(/@[^/]+\//, `@127.0.0.1:${port}/`);
    const b = buffers();
    expect(await runPublish('attach', GOOD, { amqpUrl: [down(1), down(2), vh.url], io: b.io }), b.err()).to.equal(0);
    expect((await ch.checkQueue(nodeQueueName(NODE))).messageCount).to.equal(1);
    const none = buffers();
    expect(await runPublish('attach', GOOD, { amqpUrl: [down(1), down(2)], io: none.io })).to.equal(1);
    expect(none.err()).to.match(/127\.0\.0\.1:2\/.* is not reachable.*also failed: RabbitMQ at .*127\.0\.0\.1:1\//);
    expect(none.err()).to.not.include(decodeURIComponent(new URL(vh.url).password));
  });
});
