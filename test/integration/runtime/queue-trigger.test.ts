import amqplib, { type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { expect } from 'chai';
import type { HandlerOutcome } from '../../../src/model/ports.js';
import { connectAmqp, type AmqpConnectionManager } from '../../../src/amqp/connection.js';
import { declareCore, declareNodeQueue, DELIVERY_LIMIT, Exchanges, LEGACY_NODE_QUEUE_ARGUMENTS, nodeQueueName, Queues } from '../../../src/amqp/topology.js';
import { PermanentError, TransientError } from '../../../src/errors/errors.js';
import { amqpPropertiesFor } from '../../../src/events/amqp-properties.js';
import type { InterfaceEvent } from '../../../src/events/types.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { interfaceEventParsing } from '../../../src/agent/delivery.js';
import { startQueueTrigger, type QueueTrigger, type QueueTriggerOptions } from '../../../src/runtime/queue-trigger.js';
import { attachEvent, interfaceData } from '../../helpers/builders.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';
import { waitFor } from '../../helpers/wait.js';

const NODE = 'worker-1';
const QUEUE = nodeQueueName(NODE);
const OK: HandlerOutcome = { result: 'configured', interfaceName: 'multinic0', detail: 'test' };

describe('queue trigger (real RabbitMQ)', function () {
  this.timeout(60_000);
  let vhost: TestVhost;
  let conn: AmqpConnectionManager;
  let client: ChannelModel;
  let ch: Channel;
  let trigger: QueueTrigger | undefined;
  let ring: ReturnType<typeof createRingLogger>;

  beforeEach(async () => {
    vhost = await createTestVhost('mnt-qt');
    ring = createRingLogger('queue-trigger-test');
    conn = connectAmqp(vhost.url, { connectionName: `multinic-agent ${NODE}`, log: ring.log, reconnectSeconds: 0.2 });
    client = await amqplib.connect(vhost.url);
    ch = await client.createChannel();
    await declareCore(ch);
    await declareNodeQueue(ch, NODE);
  });

  afterEach(async () => {
    await trigger?.stop();
    trigger = undefined;
    await conn.close().catch(() => undefined);
    await client.close().catch(() => undefined);
    await vhost.delete();
  });

  type Options = QueueTriggerOptions<InterfaceEvent, HandlerOutcome>;

  async function start(handler: Options['handler'], over: Partial<Options> = {}): Promise<QueueTrigger> {
    trigger = await startQueueTrigger({
      connection: conn,
      node: NODE,
      ...interfaceEventParsing({ acceptNodeNames: [NODE, `${NODE}.novalocal`], maxMessageBytes: 4096 }),
      handler,
      maxRetries: 2,
      backoff: () => 1,
      log: ring.log,
      ...over,
    });
    await waitFor('the trigger to consume', () => trigger!.consuming());
    return trigger;
  }

  /** A trigger on another node's queue, not waited for: its queue may be unusable. */
  function startFor(node: string): Promise<QueueTrigger> {
    return startQueueTrigger({
      connection: conn,
      node,
      ...interfaceEventParsing({ acceptNodeNames: [node], maxMessageBytes: 4096 }),
      handler: async () => OK,
      maxRetries: 0,
      log: ring.log,
    });
  }

  function publish(event: InterfaceEvent): void {
    ch.publish(Exchanges.Events, NODE, Buffer.from(JSON.stringify(event)), amqpPropertiesFor(event, 'test'));
  }

  function publishRaw(body: string | Buffer, headers: Record<string, unknown> = {}): void {
    ch.publish(Exchanges.Events, NODE, Buffer.isBuffer(body) ? body : Buffer.from(body), { messageId: `raw-${Math.random()}`, headers, persistent: true });
  }

  async function drain(queue: string): Promise<GetMessage[]> {
    const out: GetMessage[] = [];
    for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) out.push(m);
    return out;
  }

  async function waitForDead(count: number): Promise<GetMessage[]> {
    const got: GetMessage[] = [];
    await waitFor(`${count} message(s) in ${Queues.Dead}`, async () => {
      got.push(...(await drain(Queues.Dead)));
      return got.length >= count;
    });
    return got;
  }

  /**
   * Proves every message was settled without waiting for the management API's statistics:
   * stop the trigger (closing its channel returns anything unacknowledged to the queue,
   * ahead of newer messages), publish a sentinel, and the first message read must be it.
   */
  async function expectNothingLeft(): Promise<void> {
    await trigger?.stop();
    await conn.close();
    const confirm = await client.createConfirmChannel();
    confirm.publish(Exchanges.Events, NODE, Buffer.from('sentinel'), { messageId: 'sentinel' });
    await confirm.waitForConfirms();
    await confirm.close();
    // A quorum queue with a single active consumer refuses basic.get: read by consuming.
    const reader = await client.createChannel();
    await reader.prefetch(1);
    const first = await new Promise<ConsumeMessage>((resolve) => void reader.consume(QUEUE, (m) => m && resolve(m)));
    await reader.close();
    expect(first.properties.messageId, 'a message was left unacknowledged').to.equal('sentinel');
  }

  it('fails plainly on its queue declared elsewhere as a classic queue: names the queue, the argument and the fix, and consumes once it is fixed', async () => {
    const other = 'worker-7';
    await ch.assertQueue(nodeQueueName(other), { durable: true });
    trigger = await startFor(other);
    const problem = await waitFor('the problem', () => trigger!.problem());
    expect(problem).to.include('multinic.node.worker-7').and.include('x-single-active-consumer').and.include('delete');
    expect(trigger.consuming()).to.equal(false);
    expect(ring.records().filter((r) => r.level === 50 && String(r.msg).includes('cannot consume'))).to.have.length(1);
    // The agent's other channels are unharmed: the connection is still up.
    expect(conn.isConnected()).to.equal(true);
  });

  it('consumes a queue declared the pre-policy way (x-dead-letter-exchange, x-delivery-limit arguments)', async () => {
    const other = 'worker-8';
    await ch.assertQueue(nodeQueueName(other), { durable: true, arguments: { ...LEGACY_NODE_QUEUE_ARGUMENTS } });
    trigger = await startFor(other);
    await waitFor('the trigger to consume', () => trigger!.consuming());
    expect(trigger.problem()).to.equal(undefined);
  });

  it('hands a valid event to the handler and acknowledges it', async () => {
    const seen: InterfaceEvent[] = [];
    await start(async (event) => {
      seen.push(event);
      return OK;
    });
    const event = attachEvent(interfaceData());
    publish(event);
    await waitFor('the handler to run', () => seen.length === 1);
    await expectNothingLeft();
    expect(seen[0]!.id).to.equal(event.id);
    expect(ring.records().some((r) => r.msg === 'event handled' && r.eventId === event.id && r.portId === event.data.portId)).to.equal(true);
  });

  it('dead-letters invalid bodies with their reason, never calls the handler with them, and keeps serving', async () => {
    const seen: string[] = [];
    await start(async (event) => {
      seen.push(event.id);
      return OK;
    });
    const otherNode = attachEvent(interfaceData({ nodeName: 'worker-2' }));
    const badMac = JSON.parse(JSON.stringify(attachEvent(interfaceData()))) as InterfaceEvent;
    badMac.data.macAddress = '01:00:5e:00:00:01';
    publishRaw('this is not json');
    publishRaw(JSON.stringify({ hello: 'world' }));
    publish(otherNode);
    publishRaw(JSON.stringify({ ...attachEvent(interfaceData()), padding: 'x'.repeat(5000) }));
    publish(badMac);
    const valid = attachEvent(interfaceData());
    publish(valid);

    const dead = await waitForDead(5);
    await waitFor('the valid event to be handled', () => seen.length === 1);
    const reasons = dead.map((m) => String(m.properties.headers?.['x-multinic-error']));
    expect(reasons[0]).to.match(/not JSON/);
    expect(reasons[1]).to.match(/CloudEvents/);
    expect(reasons[2]).to.match(/worker-2/);
    expect(reasons[3]).to.match(/larger than the 4096-byte limit/);
    expect(reasons[4]).to.match(/multicast/);
    for (const m of dead) {
      expect(m.properties.headers?.['x-multinic-original-queue']).to.equal(QUEUE);
      expect(m.properties.headers?.['x-death'], 'not dead-lettered by the broker').to.equal(undefined);
    }
    expect(dead[2]!.properties.messageId).to.equal(otherNode.id);
    expect(dead[0]!.content.toString()).to.equal('this is not json');
    expect(seen).to.deep.equal([valid.id]);
    await expectNothingLeft();
  });

  it('retries a transient failure in process and acknowledges after the success', async () => {
    let calls = 0;
    let successes = 0;
    await start(async () => {
      if (++calls <= 2) throw new TransientError('database is restarting');
      successes++;
      return OK;
    });
    publish(attachEvent(interfaceData()));
    await waitFor('a success', () => successes === 1);
    await expectNothingLeft();
    expect(calls).to.equal(3);
    expect(await drain(Queues.Dead)).to.have.length(0);
  });

  it('ends an always-failing event in multinic.dead through the delivery limit, after recording the failure', async () => {
    let calls = 0;
    const finalFailures: Array<{ id: string; reason: string }> = [];
    await start(
      async () => {
        calls++;
        throw new TransientError('kubernetes API unavailable');
      },
      {
        maxRetries: 1,
        onFinalFailure: async (event, err) => {
          finalFailures.push({ id: event.id, reason: (err as Error).message });
        },
      },
    );
    const event = attachEvent(interfaceData());
    publish(event);
    const [dead] = await waitForDead(1);
    const death = dead!.properties.headers?.['x-death'] as Array<{ queue: string; reason: string }>;
    expect(death, 'x-death').to.be.an('array');
    expect(death[0]!.queue).to.equal(QUEUE);
    expect(dead!.properties.messageId).to.equal(event.id);
    expect(finalFailures).to.deep.equal([{ id: event.id, reason: 'kubernetes API unavailable' }]);
    // Every delivery the broker allows (the first plus DELIVERY_LIMIT returns) got 1 + maxRetries tries.
    expect(calls).to.equal((DELIVERY_LIMIT + 1) * 2);
    await expectNothingLeft();
  });

  it('dead-letters a permanent failure with its reason and acknowledges it', async () => {
    let calls = 0;
    const finalFailures: string[] = [];
    await start(
      async () => {
        calls++;
        throw new PermanentError('netplan rejected the file: bad address', { cause: new Error('exit 1') });
      },
      { onFinalFailure: async (event) => void finalFailures.push(event.id) },
    );
    const event = attachEvent(interfaceData());
    publish(event);
    const [dead] = await waitForDead(1);
    expect(dead!.properties.headers?.['x-multinic-error']).to.equal('PermanentError: netplan rejected the file: bad address');
    expect(dead!.properties.headers?.['x-multinic-original-queue']).to.equal(QUEUE);
    expect(dead!.properties.messageId).to.equal(event.id);
    expect(calls).to.equal(1);
    expect(finalFailures).to.deep.equal([event.id]);
    await expectNothingLeft();
  });

  it("handles one node's events one at a time, in publish order", async () => {
    const order: string[] = [];
    let inHand = 0;
    let overlapped = false;
    await start(async (event) => {
      if (++inHand > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 2));
      order.push(event.data.portId);
      inHand--;
      return OK;
    });
    const events = Array.from({ length: 25 }, () => attachEvent(interfaceData()));
    for (const e of events) publish(e);
    await waitFor('all events handled', () => order.length === events.length);
    expect(order).to.deep.equal(events.map((e) => e.data.portId));
    expect(overlapped).to.equal(false);
  });

  it('reconnects after the broker closes its connection and loses nothing', async () => {
    const handled = new Set<string>();
    await start(async (event) => {
      await new Promise((r) => setTimeout(r, 5));
      handled.add(event.id);
      return OK;
    });
    const events = Array.from({ length: 40 }, () => attachEvent(interfaceData()));
    for (const e of events) publish(e);
    await waitFor('some events handled', () => handled.size >= 5);
    // The management API lists a new connection only after its next statistics round.
    await waitFor('the agent connection to be closed by the broker', () => vhost.closeConnections((c) => c.connectionName === `multinic-agent ${NODE}`), { timeoutMs: 20_000, intervalMs: 250 });
    await waitFor('the trigger to notice', () => !trigger!.consuming());
    await waitFor('all events handled', () => handled.size === events.length, { timeoutMs: 30_000 });
    await waitFor('the trigger to consume again', () => trigger!.consuming());
    expect([...handled].sort()).to.deep.equal(events.map((e) => e.id).sort());
    await expectNothingLeft();
  });

  it('restores its consumer when the queue is deleted under it (the connection stays up)', async () => {
    const seen: string[] = [];
    await start(async (event) => {
      seen.push(event.id);
      return OK;
    });
    await ch.deleteQueue(QUEUE);
    await waitFor('the trigger to notice the cancelled consumer', () => !trigger!.consuming());
    await waitFor('the trigger to consume again', () => trigger!.consuming(), { timeoutMs: 15_000 });
    const event = attachEvent(interfaceData());
    publish(event);
    await waitFor('the event published after the recovery to be handled', () => seen.length === 1);
    expect(seen).to.deep.equal([event.id]);
    await expectNothingLeft();
  });

  it('stop() waits for the slow handler in hand, acknowledges its message and stops consuming', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    let finished = 0;
    await start(async () => {
      started++;
      await gate;
      finished++;
      return OK;
    });
    publish(attachEvent(interfaceData()));
    await waitFor('the handler to start', () => started === 1);
    let stopDone = false;
    const stopping = trigger!.stop().then(() => (stopDone = true));
    await waitFor('the trigger to report not consuming', () => !trigger!.consuming());
    expect(stopDone, 'stop() resolved while the handler was still running').to.equal(false);
    release();
    await stopping;
    expect(finished).to.equal(1);
    expect(started).to.equal(1);
    await expectNothingLeft();
  });
  describe('batch mode', () => {
    const events = (n: number) =>
      Array.from({ length: n }, (_, i) => attachEvent(interfaceData({ portId: `7f3e2a10-0000-4000-8000-0000000003${String(i).padStart(2, '0')}`, macAddress: `fa:16:3e:00:03:${String(i).padStart(2, '0')}` })));

    it('hands a burst already waiting to the batch handler together, in order, and acks each', async () => {
      const burst = events(8);
      for (const e of burst) publish(e);
      await waitFor('the burst to wait in the queue', async () => (await ch.checkQueue(QUEUE)).messageCount === 8);
      const batches: string[][] = [];
      await start(async () => expect.fail('the single handler must not run'), {
        batch: { size: 32, lingerMs: 20, handler: async (items) => (batches.push(items.map((i) => i.message.id)), items.map(() => ({ ok: true as const, value: OK }))) },
      });
      await waitFor('all 8 events to be handled', () => batches.flat().length === 8);
      expect(batches.flat()).to.deep.equal(burst.map((e) => e.id));
      expect(batches.length, `batches: ${batches.map((b) => b.length).join(', ')}`).to.be.at.most(2);
      await expectNothingLeft();
    });

    it('isolates the one bad event of a batch: it alone is dead-lettered, the others are acked', async () => {
      const burst = events(6);
      const bad = burst[3]!.id;
      for (const e of burst) publish(e);
      const handled: string[] = [];
      await start(
        async (event) => {
          if (event.id === bad) throw new PermanentError('netplan rejected the configuration');
          handled.push(event.id);
          return OK;
        },
        {
          batch: {
            size: 32,
            lingerMs: 20,
            handler: async (items) => {
              if (items.some((i) => i.message.id === bad)) throw new PermanentError('netplan rejected the configuration');
              handled.push(...items.map((i) => i.message.id));
              return items.map(() => ({ ok: true as const, value: OK }));
            },
          },
        },
      );
      const dead = await waitForDead(1);
      expect(dead[0]!.properties.messageId).to.equal(bad);
      await waitFor('the five good events to be handled', () => handled.length === 5);
      expect([...handled].sort()).to.deep.equal(burst.filter((e) => e.id !== bad).map((e) => e.id).sort());
      await expectNothingLeft();
    });
  });
});
