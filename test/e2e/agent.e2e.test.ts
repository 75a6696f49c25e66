import { expect } from 'chai';
import amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { migrate, seed, SEED } from '../../src/db/index.js';
import { interfaceDataFromRow, readPortInterfaceRow } from '../../src/db/interface-row.js';
import { buildEvent } from '../../src/events/build.js';
import { isInvalid } from '../../src/events/network.js';
import { EventType } from '../../src/events/types.js';
import { Annotations, Labels } from '../../src/kube/patch.js';
import type { RunningPublisher } from '../../src/roots/publisher.js';
import { start as startKube, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { AGENT_GRANTS, createTestDatabase, type TestDatabase } from '../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../helpers/rabbitmq.js';
import { waitFor } from '../helpers/wait.js';
import { Lab } from '../lab/index.js';
import { startSandboxPublisher, stopAll, type SandboxEnv } from './harness.js';
import { LabAgent } from './lab-agent.js';

const N1 = 'worker-node-1';
/** Kubernetes calls node 2 `worker-node-2`; the database calls it by FQDN. */
const N2_KUBE = 'worker-node-2';
const N2_DB = 'worker-node-2.novalocal';
const nicsOf = (node: number, extra: string[]) => [
  ...SEED.interfaces.filter((i) => i.node === node).map((i) => i.macaddress),
  ...extra,
];
const NEW_MAC_1 = 'fa:16:3e:10:01:21';
const NEW_MAC_2 = 'fa:16:3e:10:02:21';
const EXT_MAC = 'fa:16:3e:10:01:31';
const BAD_APPLY_MAC = 'fa:16:3e:10:01:41';
/** Carried by two NICs of node 1 at once; outside the apply-failure case's 01:50–01:59. */
const TWIN_MAC = 'fa:16:3e:10:01:71';
/**
 * New ports go on a subnet of their own: a second NIC of one node on a subnet another NIC
 * already routes would take its traffic, which the kernel check refuses (DESIGN.md, "Never cut a node off").
 */
const E2E_SUBNET = { subnet_id: '5e0b7c3a-e2e0-4d1e-8f00-000000000050', subnet_name: 'e2e-net', cidr: '192.168.101.0/24', network_id: '9a1d2e3f-e2e0-4b00-8000-000000000050' };

describe('end to end: seed -> publisher -> two agents on lab nodes (real MariaDB, RabbitMQ, netplan, systemd-networkd, kernel; in-process roles)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let t: TestDatabase;
  let vhost: TestVhost;
  let kube: FakeKubeApi;
  let publisher: RunningPublisher;
  let a1: LabAgent;
  let a2: LabAgent;
  let amqp: amqplib.ChannelModel;
  let ch: amqplib.Channel;

  const row = async (portId: string) =>
    (await t.sequelize.query<Record<string, unknown>>('SELECT * FROM multi_interface WHERE port_id = ?', { replacements: [portId], type: QueryTypes.SELECT }))[0];
  const success = async (portId: string) => Number((await row(portId))?.netplan_success);
  const annotation = (node: string) => JSON.parse(kube.node(node)?.metadata.annotations[Annotations.Interfaces] ?? '[]') as Array<{ portId: string; name: string; address: string | null }>;
  const insertPort = async (portId: string, node: string, mac: string, address: string, subnetId = E2E_SUBNET.subnet_id) => {
    await t.sequelize.query(
      `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_id, attached_node_name, netplan_success, status, address, created_at, modified_at)
       SELECT ?, ?, ?, attached_node_id, attached_node_name, 0, 'ACTIVE', ?, NOW(3), NOW(3) FROM node_table WHERE attached_node_name = ?`,
      { replacements: [portId, subnetId, mac, address, node] },
    );
  };
  const deadLetter = async (match: (m: amqplib.GetMessage) => boolean) =>
    waitFor('a message in multinic.dead', async () => {
      for (let m = await ch.get('multinic.dead', { noAck: true }); m; m = await ch.get('multinic.dead', { noAck: true })) if (match(m)) return m;
      return undefined;
    }, { timeoutMs: 15_000 });

  before(async () => {
    t = await createTestDatabase('mne2e');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    await t.sequelize.query("INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, status, created_at, modified_at) VALUES (?, ?, ?, ?, 'ACTIVE', NOW(3), NOW(3))", { replacements: [E2E_SUBNET.subnet_id, E2E_SUBNET.subnet_name, E2E_SUBNET.cidr, E2E_SUBNET.network_id] });
    for (const table of ['node_table', 'multi_interface']) {
      await t.sequelize.query(`UPDATE ${table} SET attached_node_name = ? WHERE attached_node_name = ?`, { replacements: [N2_DB, N2_KUBE] });
    }
    vhost = await createTestVhost('mne2e');
    kube = await startKube({ nodes: [N1, N2_KUBE] });
    const env: SandboxEnv = { db: t.db, amqpUrl: vhost.url, kubeconfigPath: kube.kubeconfigPath };
    publisher = startSandboxPublisher(env, 'mne2e');
    const agentEnv = { ...env, db: await t.createUser(AGENT_GRANTS) };
    lab = await Lab.start({ tag: 'kn' });
    a1 = await LabAgent.start(lab, N1, agentEnv, nicsOf(0, [NEW_MAC_1, EXT_MAC, BAD_APPLY_MAC]));
    a2 = await LabAgent.start(lab, N2_KUBE, agentEnv, nicsOf(1, [NEW_MAC_2]));
    amqp = await amqplib.connect(vhost.url);
    ch = await amqp.createChannel();
  });

  after(async () => {
    await amqp?.close().catch(() => undefined);
    await stopAll({ agents: [a1, a2], publisher, kube, vhost, db: t });
    await lab?.stop();
  });

  it('configures the seed on both nodes: valid netplan, patched Nodes, netplan_success=1', async () => {
    for (const i of SEED.interfaces) await waitFor(`netplan_success=1 for ${i.port_id}`, async () => (await success(i.port_id)) === 1);
    await waitFor('both Nodes ready', () => kube.node(N1)?.metadata.labels[Labels.Ready] === 'true' && kube.node(N2_KUBE)?.metadata.labels[Labels.Ready] === 'true');
    for (const [agent, node, index] of [[a1, N1, 0], [a2, N2_KUBE, 1]] as const) {
      const macs = SEED.interfaces.filter((i) => i.node === index).map((i) => i.macaddress);
      // The node's netplan directory also holds cloud-init's 50-cloud-init.yaml for the primary NIC.
      expect((await agent.files()).filter((f) => f.name.startsWith('90-multinic-')).length).to.equal(macs.length);
      const networkd = await agent.networkd();
      for (const mac of macs) expect(networkd).to.include(mac);
      for (const i of SEED.interfaces.filter((x) => x.node === index)) {
        const k = await agent.kernelOf(i.macaddress);
        const name = annotation(node).find((x) => x.portId === i.port_id)!.name;
        expect(k, i.macaddress).to.deep.include({ name, up: true, addresses: i.address ? [`${i.address}/${SEED.subnets[i.subnet]!.cidr.split('/')[1]}`] : [] });
        if (i.mtu) expect(k!.mtu).to.equal(i.mtu);
      }
      expect(kube.node(node)!.metadata.labels[Labels.InterfaceCount]).to.equal(String(macs.length));
      expect(annotation(node).map((x) => x.portId).sort()).to.deep.equal(SEED.interfaces.filter((i) => i.node === index).map((i) => i.port_id).sort());
    }
    expect(a2.agent.node).to.include({ dbName: N2_DB, how: 'dns-label' });
  });

  it('a new row is configured through the event path on each node, including the one whose Kubernetes name differs', async () => {
    const latencies: number[] = [];
    for (const [port, node, mac, address] of [['e2e-port-new-1', N1, NEW_MAC_1, '192.168.101.21'], ['e2e-port-new-2', N2_DB, NEW_MAC_2, '192.168.101.22']]) {
      const t0 = Date.now();
      await insertPort(port!, node!, mac!, address!);
      await waitFor(`netplan_success=1 for ${port}`, async () => (await success(port!)) === 1, { intervalMs: 10 });
      latencies.push(Date.now() - t0);
    }
    expect(annotation(N2_KUBE).map((x) => x.portId)).to.include('e2e-port-new-2');
    expect((await a1.kernelOf(NEW_MAC_1))!.addresses).to.deep.equal(['192.168.101.21/24']);
    expect((await a2.kernelOf(NEW_MAC_2))!.addresses).to.deep.equal(['192.168.101.22/24']);
    // The handler writes netplan_success before it returns; the trigger counts the outcome
    // just after, so the counter may lag the row by a moment.
    await waitFor('agent 2 counted a configured attach event', async () => (await a2.metric('multinic_events_total', { type: 'attach', outcome: 'configured' })) > 0);
    process.stdout.write(`      row insert -> netplan_success=1: ${latencies.join(' ms, ')} ms (publisher poll 1 s)\n`);
  });

  it('a duplicate event costs no apply', async () => {
    const data = interfaceDataFromRow((await readPortInterfaceRow(t.sequelize, 'e2e-port-new-1'))!);
    if (isInvalid(data)) throw new Error(data.error);
    const before = { applies: a1.applies, unchanged: await a1.metric('multinic_events_total', { type: 'attach', outcome: 'unchanged' }) };
    const event = buildEvent(EventType.Attach, data, { source: '/multinic/publisher' });
    ch.publish('multinic.events', N1, Buffer.from(JSON.stringify(event)), { contentType: 'application/cloudevents+json', messageId: event.id });
    await waitFor('the duplicate handled', async () => (await a1.metric('multinic_events_total', { type: 'attach', outcome: 'unchanged' })) > before.unchanged);
    expect(a1.applies).to.equal(before.applies);
  });

  it('an address change is applied and written back', async () => {
    await t.sequelize.query("UPDATE multi_interface SET address = '192.168.101.77', modified_at = NOW(3), netplan_success = 0 WHERE port_id = 'e2e-port-new-1'");
    await waitFor('netplan_success=1 after the change', async () => (await success('e2e-port-new-1')) === 1);
    expect((await a1.files()).some((f) => f.content.includes('192.168.101.77/24'))).to.equal(true);
    expect(annotation(N1).find((x) => x.portId === 'e2e-port-new-1')!.address).to.equal('192.168.101.77');
    expect((await a1.kernelOf(NEW_MAC_1))!.addresses).to.deep.equal(['192.168.101.77/24']);
  });

  it('a detach removes the file and sets netplan_success=0', async () => {
    const files = (await a1.files()).length;
    await t.sequelize.query("UPDATE multi_interface SET deleted_at = NOW(3), modified_at = NOW(3) WHERE port_id = 'e2e-port-new-1'");
    await waitFor('netplan_success=0 after the detach', async () => (await success('e2e-port-new-1')) === 0);
    expect((await a1.files()).length).to.equal(files - 1);
    expect(annotation(N1).map((x) => x.portId)).to.not.include('e2e-port-new-1');
    expect((await a1.kernelOf(NEW_MAC_1))!.addresses).to.deep.equal([]);
  });

  it('an invalid event is dead-lettered with its reason and touches nothing', async () => {
    const applies = a1.applies;
    const files = await a1.files();
    const body = { specversion: '1.0', id: randomUUID(), source: '/tools/x', type: EventType.Attach, subject: 'p-bad', time: new Date().toISOString(), datacontenttype: 'application/json', data: { nodeName: N1, portId: 'p-bad', macAddress: 'zz:16:3e:00:00:01', subnetId: 's', subnetName: 'n', networkId: 'x', cidr: '10.0.0.0/24', address: null, mtu: null, crNamespace: null, crName: null, generation: 1 } };
    ch.publish('multinic.events', N1, Buffer.from(JSON.stringify(body)), { contentType: 'application/cloudevents+json', messageId: body.id });
    const dead = await deadLetter((m) => m.properties.messageId === body.id);
    expect(String(dead.properties.headers?.['x-multinic-error'])).to.match(/schema|MAC/);
    expect(a1.applies).to.equal(applies);
    expect((await a1.files()).map((f) => f.bytes)).to.deep.equal(files.map((f) => f.bytes));
  });

  it('an event published straight to multinic.events by a plain amqplib client is applied (no row: nothing written to multi_interface)', async () => {
    const body = { specversion: '1.0', id: randomUUID(), source: '/tools/openstack-hook', type: 'io.multinic.interface.attach', subject: 'ext-port-1', time: new Date().toISOString(), datacontenttype: 'application/json', data: { nodeName: N1, portId: 'ext-port-1', macAddress: EXT_MAC, subnetId: 'ext-subnet-1', subnetName: 'ext-net', networkId: 'ext-network-1', cidr: '172.21.0.0/24', address: '172.21.0.9', mtu: 9000, crNamespace: null, crName: null, generation: Date.now() } };
    ch.publish('multinic.events', N1, Buffer.from(JSON.stringify(body)), { contentType: 'application/cloudevents+json', messageId: body.id });
    await waitFor('the external port in the annotation', () => annotation(N1).some((x) => x.portId === 'ext-port-1'));
    expect((await a1.files()).some((f) => f.content.includes(EXT_MAC))).to.equal(true);
    expect(await row('ext-port-1')).to.equal(undefined);
    expect(await a1.networkd()).to.include('MTUBytes=9000');
    expect(await a1.kernelOf(EXT_MAC)).to.deep.include({ up: true, mtu: 9000, addresses: ['172.21.0.9/24'] });
  });

  it('an apply failure is rolled back byte for byte, dead-lettered, and shown on the Node', async () => {
    const before = await a1.files();
    a1.failApplyWhile = BAD_APPLY_MAC;
    const body = { specversion: '1.0', id: randomUUID(), source: '/tools/openstack-hook', type: 'io.multinic.interface.attach', subject: 'ext-port-bad', time: new Date().toISOString(), datacontenttype: 'application/json', data: { nodeName: N1, portId: 'ext-port-bad', macAddress: BAD_APPLY_MAC, subnetId: 'ext-subnet-2', subnetName: 'ext-net-2', networkId: 'ext-network-2', cidr: '192.168.102.0/24', address: '192.168.102.99', mtu: null, crNamespace: null, crName: null, generation: Date.now() } };
    ch.publish('multinic.events', N1, Buffer.from(JSON.stringify(body)), { contentType: 'application/cloudevents+json', messageId: body.id });
    const dead = await deadLetter((m) => m.properties.messageId === body.id);
    expect(String(dead.properties.headers?.['x-multinic-error'])).to.match(/rolled back/);
    const after = await a1.files();
    expect(after.map((f) => f.name)).to.deep.equal(before.map((f) => f.name));
    for (const [k, f] of after.entries()) expect(f.bytes.equals(before[k]!.bytes), f.name).to.equal(true);
    expect((await a1.kernelOf(BAD_APPLY_MAC))!.addresses).to.deep.equal([]);
    await waitFor('the Node not ready with the reason', () => kube.node(N1)?.metadata.labels[Labels.Ready] === 'false');
    expect(kube.node(N1)!.metadata.annotations[Annotations.LastError]).to.include('ext-port-bad');
    a1.failApplyWhile = null;
  });
  it('an apply that fails once for 10 ports is rolled back each time, dead-lettered, and healed by the resync (moved here from the fault suite)', async () => {
    const ports = Array.from({ length: 10 }, (_, k) => ({ portId: `e2e-fail-${k}`, mac: `fa:16:3e:10:01:${(0x50 + k).toString(16)}`, subnet: `5e0b7c3a-fail-4d1e-8f00-0000000001${String(k).padStart(2, '0')}`, address: `192.168.${120 + k}.11` }));
    for (const [k, p] of ports.entries()) {
      await a1.node.plug({ mac: p.mac });
      await t.sequelize.query("INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, status, created_at, modified_at) VALUES (?, ?, ?, ?, 'ACTIVE', NOW(3), NOW(3))", { replacements: [p.subnet, `fail-net-${k}`, `192.168.${120 + k}.0/24`, E2E_SUBNET.network_id] });
    }
    const before = await a1.files();
    // Every apply fails while a file names one of these ports (both steps of the targeted path and its fallback).
    a1.failApplyWhile = 'e2e-fail-';
    for (const p of ports) await insertPort(p.portId, N1, p.mac, p.address, p.subnet);
    const reasons = new Map<string, string>();
    await waitFor('10 dead letters', async () => {
      for (let m = await ch.get('multinic.dead', { noAck: true }); m; m = await ch.get('multinic.dead', { noAck: true })) {
        const port = String(m.properties.headers?.['x-multinic-port']);
        if (port.startsWith('e2e-fail-')) reasons.set(port, String(m.properties.headers?.['x-multinic-error']));
      }
      return reasons.size === ports.length;
    }, { timeoutMs: 90_000 });
    for (const [port, reason] of reasons) expect(reason, port).to.match(/rolled back/);
    const after = await a1.files();
    expect(after.map((f) => f.name)).to.deep.equal(before.map((f) => f.name));
    for (const [k, f] of after.entries()) expect(f.bytes.equals(before[k]!.bytes), f.name).to.equal(true);
    for (const p of ports) {
      expect(await success(p.portId), p.portId).to.equal(0);
      expect((await a1.kernelOf(p.mac))!.addresses, p.mac).to.deep.equal([]);
    }
    a1.failApplyWhile = null;
    await a1.agent.resyncNow();
    for (const p of ports) {
      await waitFor(`netplan_success=1 for ${p.portId}`, async () => (await success(p.portId)) === 1);
      expect(await a1.kernelOf(p.mac), p.mac).to.deep.include({ up: true, addresses: [`${p.address}/24`] });
    }
  });

  it('two NICs with one MAC are refused as ambiguous, with that reason, not after a wait for the NIC (issue 11)', async () => {
    const mac = TWIN_MAC;
    // Two real NICs in the node carrying one MAC (left plugged: the Events case repeats this event).
    await a1.node.plug({ mac, ifname: 'ens20' });
    await a1.node.plug({ mac, ifname: 'ens21' });
    const files = await a1.files();
    const body = { specversion: '1.0', id: randomUUID(), source: '/tools/openstack-hook', type: 'io.multinic.interface.attach', subject: 'ext-port-twin', time: new Date().toISOString(), datacontenttype: 'application/json', data: { nodeName: N1, portId: 'ext-port-twin', macAddress: mac, subnetId: SEED.subnets[1].subnet_id, subnetName: 'data-net', networkId: SEED.subnets[1].network_id, cidr: '192.168.100.0/24', address: '192.168.100.98', mtu: null, crNamespace: null, crName: null, generation: Date.now() } };
    ch.publish('multinic.events', N1, Buffer.from(JSON.stringify(body)), { contentType: 'application/cloudevents+json', messageId: body.id });
    const dead = await deadLetter((m) => m.properties.messageId === body.id);
    expect(String(dead.properties.headers?.['x-multinic-error'])).to.match(/refusing MAC fa:16:3e:10:01:71: it is ambiguous, 2 interfaces carry it \(ens20, ens21\)/);
    expect((await a1.files()).map((f) => f.bytes)).to.deep.equal(files.map((f) => f.bytes));
  });

  it('records Kubernetes Events on the Node for configured, refused and rolled back, counting repeats (core/v1, as kubectl describe node lists them)', async () => {
    const onN1 = () => kube.events().filter((e) => e.involvedObject?.kind === 'Node' && e.involvedObject?.name === N1);
    await waitFor('a refused Event on worker-node-1', () => onN1().some((e) => e.reason === 'InterfaceRefused'));
    const byReason = (reason: string) => onN1().filter((e) => e.reason === reason);
    expect(byReason('InterfaceConfigured').length).to.be.greaterThan(0);
    for (const e of onN1()) {
      expect(e.metadata.namespace).to.equal('default');
      expect(e.involvedObject).to.deep.equal({ apiVersion: 'v1', kind: 'Node', name: N1, uid: N1 });
      expect(e.count).to.be.a('number').and.at.least(1);
      expect(e.source).to.deep.equal({ component: 'multinic-agent', host: N1 });
    }
    expect(byReason('InterfaceConfigured').every((e) => e.type === 'Normal')).to.equal(true);
    const refused = byReason('InterfaceRefused');
    expect(refused).to.have.length(1);
    expect(refused[0]!.type).to.equal('Warning');
    expect(refused[0]!.message).to.match(/port ext-port-twin .* refused: refusing MAC fa:16:3e:10:01:71: it is ambiguous/);
    const rolledBack = byReason('InterfaceRolledBack');
    expect(rolledBack.map((e) => e.message).join('\n')).to.match(/port ext-port-bad .*: rolled back to the previous netplan files after/);
    expect(rolledBack.every((e) => e.type === 'Warning')).to.equal(true);
    // The same story again counts up on the same Event instead of adding one.
    const before = onN1().length;
    const body = { specversion: '1.0', id: randomUUID(), source: '/tools/openstack-hook', type: 'io.multinic.interface.attach', subject: 'ext-port-twin', time: new Date().toISOString(), datacontenttype: 'application/json', data: { nodeName: N1, portId: 'ext-port-twin', macAddress: TWIN_MAC, subnetId: SEED.subnets[1].subnet_id, subnetName: 'data-net', networkId: SEED.subnets[1].network_id, cidr: '192.168.100.0/24', address: '192.168.100.98', mtu: null, crNamespace: null, crName: null, generation: Date.now() } };
    ch.publish('multinic.events', N1, Buffer.from(JSON.stringify(body)), { contentType: 'application/cloudevents+json', messageId: body.id });
    await waitFor('the refused Event counted twice', () => byReason('InterfaceRefused')[0]?.count === 2);
    expect(onN1().length).to.equal(before);
  });
});
