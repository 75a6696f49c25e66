import { expect } from 'chai';
import { NODE_QUEUE_ARGUMENTS, nodeQueueName, Queues } from '../../../src/amqp/topology.js';
import { Header } from '../../../src/events/amqp-properties.js';
import { CLOUDEVENTS_CONTENT_TYPE, EventType, type InterfaceEvent } from '../../../src/events/types.js';
import { validateEvent } from '../../../src/events/validate.js';
import { PENDING_INDEX, PENDING_SQL } from '../../../src/db/sql-sources.js';
import { waitFor } from '../../helpers/wait.js';
import { createPublisherEnv, SUBNET, type PublisherEnv } from './env.js';

const Q1 = nodeQueueName('worker-1');
const body = (m: { content: Buffer }) => JSON.parse(m.content.toString('utf8')) as InterfaceEvent;

describe('publisher (real MariaDB and RabbitMQ)', function () {
  this.timeout(30_000);
  let e: PublisherEnv;
  beforeEach(async () => {
    e = await createPublisherEnv();
    await e.addNode('worker-1');
    await e.addNode('worker-2');
  });
  afterEach(async () => {
    await e?.close();
  });

  it('turns a pending row into one readable, valid event on its node queue', async () => {
    await e.addInterface('port-a', 'worker-1', { address: '192.168.100.21', mtu: 9000, cr_namespace: 'multinic-system', cr_name: 'cr-1' });
    e.start();
    await waitFor('the event on worker-1', async () => (await e.messageCount(Q1)) === 1);
    const [m] = await e.take(Q1, 1);
    const event = validateEvent(body(m!));
    expect(event).to.include({ type: EventType.Attach, source: '/multinic/publisher', subject: 'port-a' });
    expect(event.data).to.include({ nodeName: 'worker-1', portId: 'port-a', cidr: SUBNET.cidr, address: '192.168.100.21', mtu: 9000, crName: 'cr-1' });
    expect(m!.fields).to.include({ exchange: 'multinic.events', routingKey: 'worker-1' });
    const p = m!.properties;
    expect(p).to.include({ messageId: event.id, type: EventType.Attach, appId: 'multinic-publisher', contentType: CLOUDEVENTS_CONTENT_TYPE });
    expect(p.timestamp).to.equal(Math.floor(Date.parse(event.time) / 1000));
    expect(p.headers).to.include({ [Header.Node]: 'worker-1', [Header.Port]: 'port-a' });
  });

  it('publishes exactly one event per generation across cycles, a detach for a deleted configured row, nothing for settled rows', async () => {
    await e.addInterface('attach-me', 'worker-1');
    await e.addInterface('detach-me', 'worker-1', { netplan_success: 1, deleted_at: new Date() });
    await e.addInterface('settled-live', 'worker-1', { netplan_success: 1 });
    await e.addInterface('settled-gone', 'worker-1', { netplan_success: 0, deleted_at: new Date() });
    const p = e.start();
    await waitFor('two events', async () => (await e.messageCount(Q1)) >= 2);
    for (let i = 0; i < 3; i++) await p.trigger.runNow();
    expect(await e.messageCount(Q1)).to.equal(2);
    const events = (await e.take(Q1, 2)).map(body);
    expect(events.map((x) => `${x.data.portId}:${x.type}`).sort()).to.deep.equal(['attach-me:io.multinic.interface.attach', 'detach-me:io.multinic.interface.detach']);
  });

  it('publishes again at once when a row changes, even within the same second', async () => {
    const t0 = new Date(Math.floor(Date.now() / 1000) * 1000);
    await e.addInterface('port-c', 'worker-1', { created_at: t0, modified_at: t0 });
    const p = e.start();
    await waitFor('the first event', async () => (await e.messageCount(Q1)) === 1);
    await e.sql('UPDATE multi_interface SET address = ? WHERE port_id = ?', ['192.168.100.30', 'port-c']);
    await p.trigger.runNow();
    await p.trigger.runNow();
    expect(await e.messageCount(Q1)).to.equal(2);
    const events = (await e.take(Q1, 2)).map(body);
    expect(events.map((x) => x.data.address)).to.deep.equal([null, '192.168.100.30']);
    expect(events[0]!.data.generation).to.equal(events[1]!.data.generation);
    expect(events[0]!.id).to.not.equal(events[1]!.id);
  });

  it('resends a still-pending row after resendAfter once its queue no longer holds the event', async () => {
    await e.addInterface('port-r', 'worker-1');
    e.start({ 'publisher.resendAfter': '300ms' });
    await waitFor('the first event', async () => (await e.messageCount(Q1)) === 1);
    // The copy is gone (an agent took it, or the broker lost it) and the row is still pending.
    const [first] = (await e.take(Q1, 1)).map(body);
    await waitFor('a resend', async () => (await e.messageCount(Q1)) === 1);
    const [again] = (await e.take(Q1, 1)).map(body);
    expect(again!.id).to.equal(first!.id);
  });

  it('declares node queues with the contract arguments, where events wait before any agent', async () => {
    await e.addInterface('port-w', 'worker-2');
    e.start();
    await waitFor('the event waiting on worker-2', async () => (await e.messageCount(nodeQueueName('worker-2'))) === 1);
    for (const node of ['worker-1', 'worker-2']) {
      const q = await e.v.management.getQueue(e.v.vhost, nodeQueueName(node));
      expect(q?.arguments).to.deep.equal({ ...NODE_QUEUE_ARGUMENTS });
    }
    expect(await e.messageCount(Queues.Unroutable)).to.equal(0);
  });

  it('reports malformed rows once and skips them without stopping the others', async () => {
    await e.addInterface('bad-mac', 'worker-1', { macaddress: 'not-a-mac' });
    await e.addInterface('outside', 'worker-1', { address: '10.0.0.1' });
    await e.addInterface('no-subnet', 'worker-1', { subnet_id: 'ghost' });
    await e.addInterface('good', 'worker-1');
    await e.sql("INSERT INTO multi_subnet (subnet_id, cidr, network_id) VALUES ('bad-cidr', '300.1.2.0/24', 'n')");
    await e.addInterface('garbage-cidr', 'worker-1', { subnet_id: 'bad-cidr' });
    const p = e.start();
    await waitFor('the good event', async () => (await e.messageCount(Q1)) === 1);
    await p.trigger.runNow();
    const warned = p.records().filter((r) => String(r.msg).startsWith('skipping malformed row'));
    expect(warned.map((r) => r.portId).sort()).to.deep.equal(['bad-mac', 'garbage-cidr', 'no-subnet', 'outside']);
    expect(warned.find((r) => r.portId === 'outside')!.reason).to.match(/outside its cidr/);
    expect(warned.find((r) => r.portId === 'no-subnet')!.reason).to.match(/unknown subnet "ghost"/);
    expect(warned.find((r) => r.portId === 'garbage-cidr')!.reason).to.match(/invalid network address/);
    expect(await e.messageCount(Q1)).to.equal(1);
    expect((await e.take(Q1, 1)).map((m) => body(m).data.portId)).to.deep.equal(['good']);
  });

  it('reads pending rows through the pending index, whatever the number of settled rows', async () => {
    const values = Array.from({ length: 500 }, (_, i) => `('settled-${i}', '${SUBNET.subnet_id}', 'node-${i % 50}', 1, NOW(3))`);
    await e.sql(`INSERT INTO multi_interface (port_id, subnet_id, attached_node_name, netplan_success, created_at) VALUES ${values.join(', ')}`);
    const plan = await e.sql(`EXPLAIN ${PENDING_SQL}`, [0, 5000]);
    const i = plan.find((r) => r.table === 'i')!;
    expect(i.key).to.equal(PENDING_INDEX);
    expect(i.type).to.equal('range');
  });
});
