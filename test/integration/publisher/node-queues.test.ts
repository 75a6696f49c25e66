import { expect } from 'chai';
import amqplib from 'amqplib';
import { Exchanges, LEGACY_NODE_QUEUE_ARGUMENTS, NODE_QUEUE_POLICY, nodeQueueName, Queues } from '../../../src/amqp/topology.js';
import type { InterfaceEvent } from '../../../src/events/types.js';
import { waitFor } from '../../helpers/wait.js';
import { createPublisherEnv, type PublisherEnv } from './env.js';

/**
 * Issue 13 points 1-3 and 6 on the publisher's side: one node's bad queue costs that node
 * only, queues declared before the policy keep working, a long outage leaves one copy per
 * row, and every known node's events are readable in multinic.inspect.
 */
const body = (m: { content: Buffer }) => JSON.parse(m.content.toString('utf8')) as InterfaceEvent;
const readyzOf = async (p: { readiness: Array<{ name: string; check: () => unknown }> }) =>
  Object.fromEntries(await Promise.all(p.readiness.map(async (c) => [c.name, await c.check()] as const)));
const metric = async (p: { registry: { getSingleMetricAsString(n: string): Promise<string> } }, name: string) => p.registry.getSingleMetricAsString(name);

describe('publisher node queues (real MariaDB and RabbitMQ)', function () {
  this.timeout(40_000);
  let e: PublisherEnv;
  let conn: amqplib.ChannelModel;
  beforeEach(async () => {
    e = await createPublisherEnv();
    conn = await amqplib.connect(e.v.url);
    conn.on('error', () => undefined);
  });
  afterEach(async () => {
    await conn?.close().catch(() => undefined);
    await e?.close();
  });

  /** Declares a queue as another tool would, on a throwaway channel. */
  const declareElsewhere = async (queue: string, args: Record<string, unknown>) => {
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: true, arguments: args });
    await ch.close();
  };

  it('a node queue declared elsewhere as a plain classic queue costs that node only: reported once, its rows wait, the others go on', async () => {
    await declareElsewhere(nodeQueueName('worker-9'), {});
    for (const n of ['worker-1', 'worker-9']) await e.addNode(n);
    await e.addInterface('port-9', 'worker-9');
    await e.addInterface('port-1', 'worker-1');
    const p = e.start();
    await waitFor("worker-1's event", async () => (await e.messageCount(nodeQueueName('worker-1'))) === 1, { timeoutMs: 5_000 });
    for (let i = 0; i < 3; i++) await p.trigger.runNow();
    expect(await e.messageCount(nodeQueueName('worker-9'))).to.equal(0);
    expect(await e.messageCount(Queues.Unroutable)).to.equal(0);
    const [row] = await e.sql('SELECT netplan_success FROM multi_interface WHERE port_id = ?', ['port-9']);
    expect(Number(row!.netplan_success)).to.equal(0);

    const warnings = p.records().filter((r) => String(r.msg).includes('multinic.node.worker-9') && r.level === 40);
    expect(warnings, 'logged once, not once per cycle').to.have.length(1);
    expect(String(warnings[0]!.msg)).to.match(/x-single-active-consumer/).and.match(/delete/);
    expect(await metric(p, 'multinic_publisher_unusable_node_queues')).to.match(/multinic_publisher_unusable_node_queues 1$/m);
    expect(await metric(p, 'multinic_publisher_rows_waiting')).to.match(/reason="unusable_queue"} 1$/m);
    const ready = await readyzOf(p);
    expect(ready['node-queues']).to.deep.include({ ok: true });
    expect((ready['node-queues'] as { detail: string }).detail).to.include('multinic.node.worker-9');

    // The operator deletes the stray queue: the next node refresh declares it and the row goes out.
    await (await conn.createChannel()).deleteQueue(nodeQueueName('worker-9'));
    await waitFor("worker-9's event after the fix", async () => (await e.messageCount(nodeQueueName('worker-9'))) === 1, { timeoutMs: 5_000 });
    expect(p.records().some((r) => String(r.msg).includes('usable again'))).to.equal(true);
  });

  it('keeps using a queue declared the pre-policy way, and sets the delivery limit and dead-lettering by policy', async () => {
    await e.v.management.deletePolicy(e.v.vhost, NODE_QUEUE_POLICY.name);
    await declareElsewhere(nodeQueueName('worker-1'), { ...LEGACY_NODE_QUEUE_ARGUMENTS });
    await e.addNode('worker-1');
    await e.addNode('worker-2');
    await e.addInterface('port-1', 'worker-1');
    await e.addInterface('port-2', 'worker-2');
    const p = e.start();
    await waitFor('both events', async () => (await e.messageCount(nodeQueueName('worker-1'))) === 1 && (await e.messageCount(nodeQueueName('worker-2'))) === 1, { timeoutMs: 5_000 });
    expect(p.records().filter((r) => r.level === 40 && String(r.msg).includes('worker-1'))).to.have.length(0);
    const policy = await waitFor('the policy', () => e.v.management.getPolicy(e.v.vhost, NODE_QUEUE_POLICY.name));
    expect(policy).to.deep.include({ pattern: NODE_QUEUE_POLICY.pattern, 'apply-to': 'queues', priority: NODE_QUEUE_POLICY.priority });
    expect(policy.definition).to.deep.equal({ 'delivery-limit': 10, 'dead-letter-exchange': Exchanges.Dead });
    const q2 = await waitFor('the policy on the new queue', async () => {
      const q = await e.v.management.getQueue(e.v.vhost, nodeQueueName('worker-2'));
      return q?.policy === NODE_QUEUE_POLICY.name ? q : undefined;
    });
    expect(q2.arguments).to.deep.equal({ 'x-queue-type': 'quorum', 'x-single-active-consumer': true });
    expect((await readyzOf(p)).policy).to.deep.equal({ ok: true, detail: 'applied' });
  });

  it('does not pile up copies while the agent is away: one per row whatever the downtime, and a resend once the queue is empty', async () => {
    await e.addNode('worker-1');
    await e.addInterface('port-a', 'worker-1');
    await e.addInterface('port-b', 'worker-1');
    const p = e.start({ 'publisher.resendAfter': '100ms' });
    const q = nodeQueueName('worker-1');
    await waitFor('the two events', async () => (await e.messageCount(q)) === 2);
    // 30 resend intervals with nobody consuming.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await e.messageCount(q)).to.equal(2);
    expect(await metric(p, 'multinic_publisher_resends_skipped_queued_total')).to.not.match(/_total 0$/m);
    // The copies are taken and the rows are still pending (the agent failed to write back): sent again, once each.
    const first = (await e.take(q, 2)).map((m) => body(m).data.portId).sort();
    await waitFor('the resends', async () => (await e.messageCount(q)) === 2);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await e.messageCount(q)).to.equal(2);
    expect((await e.take(q, 2)).map((m) => body(m).data.portId).sort()).to.deep.equal(first);
  });

  it("copies every known node's events, also those published straight to the exchange, to multinic.inspect for Get messages", async () => {
    await e.addNode('worker-1');
    await e.addInterface('port-i', 'worker-1');
    e.start();
    await waitFor('the event', async () => (await e.messageCount(nodeQueueName('worker-1'))) === 1);
    const ch = await conn.createConfirmChannel();
    ch.publish(Exchanges.Events, 'worker-1', Buffer.from('{"from":"external tool"}'), { messageId: 'external-1' });
    await ch.waitForConfirms();
    const got = await waitFor('both in multinic.inspect', async () => {
      const m = await e.v.management.peekMessages(e.v.vhost, Queues.Inspect, 10);
      return m.length === 2 ? m : undefined;
    });
    expect(got.map((m) => m.routing_key)).to.deep.equal(['worker-1', 'worker-1']);
    expect(JSON.parse(got[0]!.payload).data.portId).to.equal('port-i');
    expect(got[1]!.properties.message_id).to.equal('external-1');
    // The agent's copies are untouched by the inspection.
    expect(await e.messageCount(nodeQueueName('worker-1'))).to.equal(2);
    const inspect = await e.v.management.getQueue(e.v.vhost, Queues.Inspect);
    expect(inspect?.arguments).to.deep.include({ 'x-max-length': 1000, 'x-overflow': 'drop-head' });
  });

  it('never creates a queue for a name absent from node_table: the row waits and the name is logged once', async () => {
    await e.addNode('worker-1');
    await e.addInterface('port-g', 'ghost-node');
    const p = e.start();
    await waitFor('the row reported', () => p.records().some((r) => String(r.msg).includes('"ghost-node"')));
    for (let i = 0; i < 5; i++) await p.trigger.runNow();
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    const err = await ch.checkQueue(nodeQueueName('ghost-node')).then(() => undefined, (x: { code?: number }) => x);
    expect(err?.code, 'no queue for ghost-node').to.equal(404);
    expect(await e.messageCount(Queues.Unroutable)).to.equal(0);
    expect(p.records().filter((r) => String(r.msg).includes('"ghost-node"'))).to.have.length(1);
    expect(await metric(p, 'multinic_publisher_rows_waiting')).to.match(/reason="unknown_node"} 1$/m);
  });
});
