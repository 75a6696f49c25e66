import { expect } from 'chai';
import { contentDigest } from '../../../src/events/build.js';
import { isInvalid } from '../../../src/events/network.js';
import { EventType } from '../../../src/events/types.js';
import { interfaceDataFromRow, type InterfaceRowWithSubnet } from '../../../src/model/row-data.js';
import type { ConfiguredPlacement, SubnetWatch } from '../../../src/model/publisher-ports.js';
import { driftEvents, routeNode } from '../../../src/publisher/drift.js';
import { createPollState, pollOnce } from '../../../src/publisher/poll.js';
import { fakePorts, pendingRow } from './fakes.js';

/** Where an agent recorded `row` configured, with the content it has there. */
function placed(row: InterfaceRowWithSubnet, node: string, over: Partial<InterfaceRowWithSubnet> = {}): ConfiguredPlacement {
  const data = interfaceDataFromRow({ ...row, ...over });
  if (isInvalid(data)) throw new Error(data.error);
  return { portId: row.port_id, node, contentDigest: contentDigest({ ...data, nodeName: node }) };
}

/** A SubnetWatch over arrays a test edits: subnets (id -> key) and configured rows. */
function fakeWatch() {
  const w = { subnets: new Map<string, string>(), configured: [] as Array<{ row: InterfaceRowWithSubnet; placement: ConfiguredPlacement }>, reads: [] as Array<string[] | null> };
  const watch: SubnetWatch = {
    fingerprint: async () => JSON.stringify([...w.subnets]),
    snapshot: async () => new Map(w.subnets),
    configuredRows: async (ids) => {
      w.reads.push(ids === null ? null : [...ids]);
      return w.configured.filter((c) => ids === null || ids.includes(c.row.subnet_id!));
    },
  };
  return { w, watch };
}

describe('publisher: routing by the identity rule, moves and subnet changes', () => {
  it('routes a row naming worker-1.novalocal to node_table\'s worker-1; refuses a name fitting two nodes', async () => {
    expect(routeNode('worker-1.novalocal', ['worker-1', 'worker-2'])).to.equal('worker-1');
    expect(routeNode('WORKER-1', ['worker-1'])).to.equal('worker-1');
    expect(routeNode('worker-9', ['worker-1'])).to.equal('worker-9');
    expect(routeNode('worker-1', ['worker-1.a', 'worker-1.b'])).to.have.property('error').that.matches(/several node_table names \(worker-1.a, worker-1.b\)/);
    const { ports, state } = fakePorts();
    state.nodes = ['worker-1', 'worker-1.a', 'worker-1.b'];
    state.rows = [pendingRow(1, { attached_node_name: 'Worker-1.novalocal' }), pendingRow(2, { attached_node_name: 'worker-1.c' })];
    await pollOnce(ports, createPollState(60_000));
    expect(state.published.map((e) => [e.data.portId, e.data.nodeName])).to.deep.equal([['port-1', 'worker-1'], ['port-2', 'worker-1']]);
  });

  it('a port moved in place to another node: attach for the new node and a detach for the old one', async () => {
    const { ports, state } = fakePorts();
    state.nodes = ['node-0', 'node-1'];
    const row = pendingRow(2, { attached_node_name: 'node-1' });
    state.rows = [row];
    state.configured = [placed(row, 'node-0')];
    await pollOnce(ports, createPollState(60_000));
    expect(state.published.map((e) => [e.type, e.data.nodeName])).to.deep.equal([[EventType.Detach, 'node-0'], [EventType.Attach, 'node-1']]);
  });

  it('no detach when the port was configured on the same node under another spelling', async () => {
    const { ports, state } = fakePorts();
    state.nodes = ['node-0'];
    const row = pendingRow(2, { attached_node_name: 'node-0.novalocal', address: '10.0.0.9' });
    state.rows = [row];
    state.configured = [placed(row, 'node-0', { address: '10.0.0.8' })];
    await pollOnce(ports, createPollState(60_000));
    expect(state.published.map((e) => [e.type, e.data.nodeName])).to.deep.equal([[EventType.Attach, 'node-0']]);
  });

  it('a CIDR edit of a subnet: one attach per configured port on it, to each node, once; other subnets untouched', async () => {
    const { ports, state } = fakePorts();
    state.nodes = ['node-0', 'node-1'];
    const { w, watch } = fakeWatch();
    ports.subnets = watch;
    const a = pendingRow(1, { netplan_success: 1, address: '10.0.0.11' });
    const b = pendingRow(2, { netplan_success: 1, address: '10.0.0.12' });
    const other = pendingRow(3, { netplan_success: 1, subnet_id: 'subnet-other', cidr: '10.9.0.0/24', address: '10.9.0.3' });
    w.subnets.set('subnet-data', 'v1').set('subnet-other', 'o1');
    w.configured = [a, b, other].map((r) => ({ row: r, placement: placed(r, r.attached_node_name!) }));
    const poll = createPollState(60_000);
    await pollOnce(ports, poll);
    expect(state.published, 'first cycle: every configured port checked, nothing differs').to.deep.equal([]);
    w.subnets.set('subnet-data', 'v2');
    for (const c of w.configured) if (c.row.subnet_id === 'subnet-data') c.row.cidr = '10.0.0.0/23';
    await pollOnce(ports, poll);
    expect(w.reads.at(-1)).to.deep.equal(['subnet-data']);
    expect(state.published.map((e) => [e.type, e.data.portId, e.data.nodeName, e.data.cidr])).to.deep.equal([
      [EventType.Attach, 'port-1', 'node-1', '10.0.0.0/23'],
      [EventType.Attach, 'port-2', 'node-0', '10.0.0.0/23'],
    ]);
    await pollOnce(ports, poll);
    expect(state.published, 'not again while nothing changes').to.have.length(2);
  });

  it('a soft-deleted subnet: a detach for every configured port on it', () => {
    const row = pendingRow(1, { netplan_success: 1, address: '10.0.0.11', subnet_deleted_at: new Date(5) });
    const events = driftEvents(row, placed(row, 'node-1'), ['node-1']);
    expect(events.map((e) => [e.type, e.data.nodeName])).to.deep.equal([[EventType.Detach, 'node-1']]);
  });

  it('an unconfirmed subnet event is tried again next cycle (the fingerprint is kept only once all were confirmed)', async () => {
    const { ports, state } = fakePorts();
    state.nodes = ['node-1'];
    const { w, watch } = fakeWatch();
    ports.subnets = watch;
    const row = pendingRow(1, { netplan_success: 1, address: '10.0.0.11' });
    w.subnets.set('subnet-data', 'v1');
    w.configured = [{ row, placement: placed(row, 'node-1') }];
    const poll = createPollState(60_000);
    await pollOnce(ports, poll);
    row.cidr = '10.0.0.0/23';
    w.subnets.set('subnet-data', 'v2');
    state.publishError = new Error('broker away');
    await pollOnce(ports, poll);
    expect(state.published).to.deep.equal([]);
    state.publishError = undefined;
    await pollOnce(ports, poll);
    expect(state.published.map((e) => e.data.cidr)).to.deep.equal(['10.0.0.0/23']);
  });
});
