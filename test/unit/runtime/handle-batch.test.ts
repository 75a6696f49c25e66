import { expect } from 'chai';
import { HostError, TransientError } from '../../../src/errors/errors.js';
import type { InterfaceEvent } from '../../../src/events/types.js';
import type { HandlerOutcome } from '../../../src/model/ports.js';
import { handleDeliveries, type BatchHandler } from '../../../src/runtime/handle-batch.js';
import { attachEvent, interfaceData } from '../../helpers/builders.js';
import { context, deliveryOf, FakeDelivery } from '../../helpers/deliveries.js';

const OK: HandlerOutcome = { result: 'configured', interfaceName: 'multinic0', detail: 'applied' };

function events(n: number): InterfaceEvent[] {
  return Array.from({ length: n }, (_, i) =>
    attachEvent(interfaceData({ portId: `7f3e2a10-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`, macAddress: `fa:16:3e:00:01:${String(i).padStart(2, '0')}` })),
  );
}

describe('handleDeliveries (batch mode)', () => {
  it('hands the whole batch to the batch handler once and acks every message in order', async () => {
    const evs = events(4);
    const ds = evs.map((e) => deliveryOf(e));
    const calls: string[][] = [];
    const batch: BatchHandler<InterfaceEvent, HandlerOutcome> = async (items) => {
      calls.push(items.map((i) => i.message.id));
      return items.map(() => ({ ok: true, value: OK }));
    };
    const { ctx } = context(async () => expect.fail('the single handler must not run'));
    await handleDeliveries(ds, ctx, batch);
    expect(calls).to.deep.equal([evs.map((e) => e.id)]);
    for (const d of ds) expect(d.settled).to.deep.equal(['ack']);
  });

  it('dead-letters an invalid message on its own and batches the valid ones', async () => {
    const evs = events(2);
    const bad = new FakeDelivery(Buffer.from('{"not":"an event"}'));
    const ds = [deliveryOf(evs[0]), bad, deliveryOf(evs[1])];
    const sizes: number[] = [];
    const { ctx } = context(async () => expect.fail('the single handler must not run'));
    await handleDeliveries(ds, ctx, async (items) => (sizes.push(items.length), items.map(() => ({ ok: true as const, value: OK }))));
    expect(sizes).to.deep.equal([2]);
    expect(bad.settled).to.deep.equal(['dead-letter', 'ack']);
    expect(ds[0]!.settled).to.deep.equal(['ack']);
    expect(ds[2]!.settled).to.deep.equal(['ack']);
  });

  it('bisects a batch that fails as a whole until the bad event is alone; it alone is dead-lettered', async () => {
    const evs = events(8);
    const badId = evs[5]!.id;
    const ds = evs.map((e) => deliveryOf(e));
    const sizes: number[] = [];
    const batch: BatchHandler<InterfaceEvent, HandlerOutcome> = async (items) => {
      sizes.push(items.length);
      if (items.some((i) => i.message.id === badId)) throw new HostError('netplan rejected the configuration');
      return items.map(() => ({ ok: true, value: OK }));
    };
    const single = async (e: InterfaceEvent) => {
      if (e.id === badId) throw new HostError('netplan rejected the configuration');
      return OK;
    };
    const { ctx, finals } = context(single);
    await handleDeliveries(ds, ctx, batch);
    // 8 -> 4 + 4 -> (4 ok) 2 + 2 -> (2 ok) then event 5 alone through the single path.
    expect(sizes).to.deep.equal([8, 4, 4, 2, 2]);
    for (const [i, d] of ds.entries()) expect(d.settled, `message ${i}`).to.deep.equal(i === 5 ? ['dead-letter', 'ack'] : ['ack']);
    expect(finals.map((f) => f.id)).to.deep.equal([badId]);
  });

  it('acks the events handled before retrying one that failed alone through the single path', async () => {
    const evs = events(3);
    const ds = evs.map((e) => deliveryOf(e));
    const order: string[] = [];
    for (const [i, d] of ds.entries()) d.ack = () => void (order.push(`ack ${i}`), d.settled.push('ack'));
    let singleCalls = 0;
    const { ctx, sleeps } = context(async () => {
      singleCalls++;
      order.push('single');
      return OK;
    });
    await handleDeliveries(ds, ctx, async (items) =>
      items.map((_, i) => (i === 0 ? { ok: false as const, error: new TransientError('NIC not there yet') } : { ok: true as const, value: OK })),
    );
    // The failure counted as attempt 1: one backoff, then the single handler succeeded.
    expect(sleeps).to.deep.equal([100]);
    expect(singleCalls).to.equal(1);
    expect(order).to.deep.equal(['ack 1', 'ack 2', 'single', 'ack 0']);
  });

  it('dead-letters at once an event that failed alone with a permanent error, without calling the handler again', async () => {
    const evs = events(2);
    const ds = evs.map((e) => deliveryOf(e));
    const { ctx } = context(async () => expect.fail('a permanent failure is not retried'));
    await handleDeliveries(ds, ctx, async () => [{ ok: true, value: OK }, { ok: false, error: new HostError('not ours') }]);
    expect(ds[0]!.settled).to.deep.equal(['ack']);
    expect(ds[1]!.settled).to.deep.equal(['dead-letter', 'ack']);
    expect(ds[1]!.deadReasons[0]).to.contain('not ours');
  });
});
