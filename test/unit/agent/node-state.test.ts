import { expect } from 'chai';
import { computeNodeState } from '../../../src/agent/node-state.js';
import { configuredFrom, interfaceData, rowFor } from '../../helpers/builders.js';

describe('agent node state', () => {
  const node = (rows: ReturnType<typeof rowFor>[], known = true) => ({ nodeName: 'worker-1', known, rows });

  it('is ready when every live row is configured here with the row content; deleted rows do not count', () => {
    const a = interfaceData();
    const gone = interfaceData();
    const state = computeNodeState({ ports: node([rowFor(a), rowFor(gone, { deleted: true })]), configured: [configuredFrom(a, 'multinic0')] });
    expect(state).to.deep.include({ ready: true, lastError: null });
    expect(state.interfaces.map((i) => i.name)).to.deep.equal(['multinic0']);
  });

  it('is not ready while a live row is missing or configured with other content', () => {
    const a = interfaceData();
    const b = interfaceData();
    const state = computeNodeState({ ports: node([rowFor(a), rowFor(b)]), configured: [configuredFrom({ ...a, mtu: 9000 }, 'multinic0')] });
    expect(state.ready).to.equal(false);
    expect(state.lastError).to.include(`port ${a.portId} (multinic0) does not match its row`);
    expect(state.lastError).to.include(`port ${b.portId} (${b.macAddress}) is not configured yet`);
  });

  it('an invalid row keeps the node not ready, with its reason', () => {
    const state = computeNodeState({ ports: node([{ ...rowFor(interfaceData()), data: { error: 'macaddress is empty' } }]), configured: [] });
    expect(state.ready).to.equal(false);
    expect(state.lastError).to.match(/invalid row: macaddress is empty/);
  });

  it('a failure recorded for the row\'s current version keeps it not ready even if a file is there', () => {
    const a = interfaceData();
    const row = rowFor(a, { lastFailure: { generation: a.generation, error: 'HostError: netplan apply failed' } });
    const state = computeNodeState({ ports: node([row]), configured: [configuredFrom(a, 'multinic0')] });
    expect(state.ready).to.equal(false);
    expect(state.lastError).to.include('netplan apply failed');
  });

  it('an older failure no longer counts once the row moved on and is configured', () => {
    const a = interfaceData();
    const row = rowFor(a, { lastFailure: { generation: a.generation - 1, error: 'old failure' } });
    expect(computeNodeState({ ports: node([row]), configured: [configuredFrom(a, 'multinic0')] }).ready).to.equal(true);
  });

  it('external interfaces with no row are listed and do not affect readiness; the list is in numeric name order', () => {
    const ext = [configuredFrom(interfaceData(), 'multinic10', '/tools/x'), configuredFrom(interfaceData(), 'multinic2', '/tools/x')];
    const state = computeNodeState({ ports: node([]), configured: ext });
    expect(state.ready).to.equal(true);
    expect(state.interfaces.map((i) => i.name)).to.deep.equal(['multinic2', 'multinic10']);
  });

  it('an unknown node, a failed query and extra errors are never ready; many reasons are summarised', () => {
    expect(computeNodeState({ ports: node([], false), configured: [] }).lastError).to.match(/NODE_DB_NAME/);
    expect(computeNodeState({ ports: undefined, configured: [] }).ready).to.equal(false);
    const rows = [1, 2, 3, 4, 5].map(() => rowFor(interfaceData()));
    expect(computeNodeState({ ports: node(rows), configured: [], extraErrors: ['boom'] }).lastError).to.match(/^boom; .*; and 3 more$/);
  });
});
