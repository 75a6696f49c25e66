import { expect } from 'chai';
import { recordFailure } from '../../../src/agent/failure.js';
import { HostError } from '../../../src/errors/errors.js';
import { attachEvent, interfaceData, rowFor } from '../../helpers/builders.js';
import { FakeStore, fakePorts } from '../../helpers/fakes.js';

describe('agent final failure', () => {
  it('records the failure for the row and patches the Node not ready with the reason', async () => {
    const a = interfaceData();
    const { ports, store, nodes } = fakePorts({ store: new FakeStore([rowFor(a)]) });
    await recordFailure(attachEvent(a), new HostError('netplan generate rejected the file'), ports);
    expect(store.outcomes[0]).to.include({ portId: a.portId, outcome: 'failed', lastError: 'HostError: netplan generate rejected the file' });
    expect(nodes.last).to.deep.include({ ready: false });
    expect(nodes.last!.lastError).to.equal(`port ${a.portId}: HostError: netplan generate rejected the file`);
  });

  it('an event with no row still shows its failure on the Node', async () => {
    const a = interfaceData();
    const { ports, nodes } = fakePorts();
    await recordFailure(attachEvent(a, '/tools/x'), new Error('boom'), ports);
    expect(nodes.last!.lastError).to.include('boom');
  });

  it('patches the Node even when the database is away, then throws', async () => {
    const a = interfaceData();
    const { ports, store, nodes } = fakePorts({ store: new FakeStore([rowFor(a)]) });
    store.failNext('recordOutcome');
    store.failNext('listNodePorts');
    let thrown: unknown;
    await recordFailure(attachEvent(a), new Error('boom'), ports).catch((e: unknown) => (thrown = e));
    expect(thrown).to.be.instanceOf(Error);
    expect(nodes.last!.ready).to.equal(false);
    expect(nodes.last!.lastError).to.include('boom');
  });
});
