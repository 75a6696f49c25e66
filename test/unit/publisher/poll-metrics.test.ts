import { expect } from 'chai';
import { createPollState, pollOnce } from '../../../src/publisher/poll.js';
import { fakePorts, pendingRow } from './fakes.js';

const RESEND = 60_000;

/** One sample of a metric in the fake ports' registry, or undefined. */
async function sample(registry: import('prom-client').Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

describe('pollOnce metrics (issue 16 point 5)', () => {
  it('sets the oldest pending row age from the oldest row version in a sweep', async () => {
    const { ports, state } = fakePorts({ batchSize: 2 });
    const poll = createPollState(RESEND);
    // Three rows over two pages: the oldest (created 10 min before now) is on the second page.
    state.rows = [
      pendingRow(1, { created_at: new Date(state.nowMs - 60_000) }),
      pendingRow(2, { created_at: new Date(state.nowMs - 30_000), modified_at: new Date(state.nowMs - 5_000) }),
      pendingRow(3, { created_at: new Date(state.nowMs - 600_000) }),
    ];
    await pollOnce(ports, poll);
    expect(await sample(state.registry, 'multinic_publisher_oldest_pending_row_age_seconds'), 'set only when the sweep completes').to.equal(0);
    await pollOnce(ports, poll);
    expect(await sample(state.registry, 'multinic_publisher_oldest_pending_row_age_seconds')).to.equal(600);
    state.rows = [];
    await pollOnce(ports, poll);
    expect(await sample(state.registry, 'multinic_publisher_oldest_pending_row_age_seconds'), 'nothing pending').to.equal(0);
  });

  it('reports 0 while standing by, so only the active replica speaks for the pending rows', async () => {
    const { ports, state } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1, { created_at: new Date(state.nowMs - 120_000) })];
    await pollOnce(ports, poll);
    expect(await sample(state.registry, 'multinic_publisher_oldest_pending_row_age_seconds')).to.equal(120);
    state.leader = false;
    await pollOnce(ports, poll);
    expect(await sample(state.registry, 'multinic_publisher_oldest_pending_row_age_seconds')).to.equal(0);
  });

  it('reports rows waiting for an unknown node while active, and 0 for them and unusable queues while standing by', async () => {
    const { ports, state } = fakePorts();
    const poll = createPollState(RESEND);
    state.rows = [pendingRow(1, { attached_node_name: 'node-9' })];
    await pollOnce(ports, poll);
    expect(await sample(state.registry, 'multinic_publisher_rows_waiting', { reason: 'unknown_node' })).to.equal(1);
    state.leader = false;
    await pollOnce(ports, poll);
    expect(await sample(state.registry, 'multinic_publisher_rows_waiting', { reason: 'unknown_node' })).to.equal(0);
    expect(await sample(state.registry, 'multinic_publisher_rows_waiting', { reason: 'unusable_queue' })).to.equal(0);
    expect(await sample(state.registry, 'multinic_publisher_unusable_node_queues')).to.equal(0);
  });

  it('labels published events attach/detach as the agent does, and records poll and publish successes', async () => {
    const { ports, state } = fakePorts();
    state.rows = [pendingRow(1), pendingRow(2, { deleted_at: new Date(2_000_000), netplan_success: 1 })];
    await pollOnce(ports, createPollState(RESEND));
    expect(await sample(state.registry, 'multinic_publisher_events_published_total', { type: 'attach', reason: 'new' })).to.equal(1);
    expect(await sample(state.registry, 'multinic_publisher_events_published_total', { type: 'detach', reason: 'new' })).to.equal(1);
    expect(await sample(state.registry, 'multinic_last_success_timestamp_seconds', { operation: 'poll' })).to.equal(state.nowMs / 1000);
    expect(await sample(state.registry, 'multinic_last_success_timestamp_seconds', { operation: 'publish' })).to.equal(state.nowMs / 1000);
  });

  it('records no poll success for a cycle that failed, and no publish success when nothing was confirmed', async () => {
    const { ports, state } = fakePorts();
    state.rows = [pendingRow(1)];
    state.publishError = new Error('not confirmed');
    await pollOnce(ports, createPollState(RESEND));
    expect(await sample(state.registry, 'multinic_last_success_timestamp_seconds', { operation: 'publish' })).to.equal(undefined);
    const failing = fakePorts();
    failing.ports.rows.pendingAfter = async () => {
      throw new Error('database gone');
    };
    await pollOnce(failing.ports, createPollState(RESEND)).catch(() => undefined);
    expect(await sample(failing.state.registry, 'multinic_last_success_timestamp_seconds', { operation: 'poll' })).to.equal(undefined);
  });
});
