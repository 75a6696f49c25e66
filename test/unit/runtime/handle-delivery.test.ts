import { expect } from 'chai';
import type { HandlerOutcome } from '../../../src/model/ports.js';
import { HostError, TransientError } from '../../../src/errors/errors.js';
import type { InterfaceEvent } from '../../../src/events/types.js';
import { DELIVERY_LIMIT } from '../../../src/amqp/topology.js';
import { handleDelivery } from '../../../src/runtime/handle-delivery.js';
import { attachEvent, interfaceData } from '../../helpers/builders.js';
import { context, deliveryOf, FakeDelivery } from '../../helpers/deliveries.js';

const OK: HandlerOutcome = { result: 'configured', interfaceName: 'multinic0', detail: 'applied' };

describe('handleDelivery', () => {
  let event: InterfaceEvent;
  beforeEach(() => {
    event = attachEvent(interfaceData());
  });

  it('acks after the handler succeeds, logging once with eventId, node and portId', async () => {
    const seen: string[] = [];
    const { ctx, ring, registry } = context(async (e) => {
      seen.push(e.id);
      return OK;
    });
    const d = deliveryOf(event);
    await handleDelivery(d, ctx);
    expect(seen).to.deep.equal([event.id]);
    expect(d.settled).to.deep.equal(['ack']);
    const handled = ring.records().filter((r) => r.msg === 'event handled');
    expect(handled).to.have.length(1);
    expect(handled[0]).to.include({ eventId: event.id, node: 'worker-1', portId: event.data.portId, deliveryCount: 0, result: 'configured' });
    expect(await registry.getSingleMetricAsString('multinic_events_total')).to.contain('multinic_events_total{type="attach",outcome="configured"} 1');
  });

  it('hands the handler a child logger that carries the event fields', async () => {
    const { ctx, ring } = context(async (_e, log) => {
      log.info('inside');
      return OK;
    });
    await handleDelivery(deliveryOf(event), ctx);
    expect(ring.records().find((r) => r.msg === 'inside')).to.include({ eventId: event.id, portId: event.data.portId });
  });

  for (const [what, body] of [
    ['not JSON', Buffer.from('{oops')],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x00])],
    ['not a CloudEvent', Buffer.from('{"a":1}')],
  ] as const) {
    it(`dead-letters a body that is ${what} before acking, without calling the handler`, async () => {
      let called = false;
      const { ctx, failureLogs } = context(async () => {
        called = true;
        return OK;
      });
      const d = new FakeDelivery(body);
      await handleDelivery(d, ctx);
      expect(called).to.equal(false);
      expect(d.settled).to.deep.equal(['dead-letter', 'ack']);
      expect(d.deadReasons[0]).to.be.a('string').and.not.match(/\n/);
      expect(failureLogs()).to.have.length(1);
    });
  }

  it("dead-letters another node's event and an oversized one with the reason", async () => {
    const { ctx } = context(async () => OK, { maxMessageBytes: 2000 });
    const other = deliveryOf(attachEvent(interfaceData({ nodeName: 'worker-2' })));
    await handleDelivery(other, ctx);
    expect(other.deadReasons[0]).to.match(/worker-2/);
    const big = new FakeDelivery(Buffer.alloc(3000, 0x20));
    await handleDelivery(big, ctx);
    expect(big.deadReasons[0]).to.match(/3000 bytes/);
  });

  it('leaves an invalid message unacknowledged when the dead-letter copy is not confirmed', async () => {
    const { ctx } = context(async () => OK);
    const d = new FakeDelivery(Buffer.from('nope'));
    d.failDeadLetter = true;
    await handleDelivery(d, ctx);
    expect(d.settled).to.deep.equal([]);
  });

  it('retries a transient failure with the backoff and acks once it succeeds', async () => {
    let calls = 0;
    const { ctx, sleeps, registry, failureLogs } = context(async () => {
      if (++calls < 3) throw new TransientError('db restarting');
      return OK;
    });
    const d = deliveryOf(event);
    await handleDelivery(d, ctx);
    expect(calls).to.equal(3);
    expect(sleeps).to.deep.equal([100, 200]);
    expect(d.settled).to.deep.equal(['ack']);
    expect(failureLogs()).to.have.length(0);
    expect(await registry.getSingleMetricAsString('multinic_retries_total')).to.match(/multinic_retries_total 2$/m);
  });

  it('requeues after maxRetries, without recording a final failure while deliveries remain', async () => {
    let calls = 0;
    const { ctx, finals, failureLogs } = context(async () => {
      calls++;
      throw new TransientError('api down');
    });
    const d = deliveryOf(event, 3);
    await handleDelivery(d, ctx);
    expect(calls).to.equal(4);
    expect(d.settled).to.deep.equal(['requeue']);
    expect(finals).to.deep.equal([]);
    expect(failureLogs()).to.have.length(1);
    expect(failureLogs()[0]).to.include({ eventId: event.id, portId: event.data.portId, deliveryCount: 3 });
  });

  it('records the failure before the requeue on the last delivery the broker allows', async () => {
    const order: string[] = [];
    const { ctx, finals, registry } = context(async () => {
      throw new TransientError('api down');
    });
    ctx.onFinalFailure = async (e, err) => {
      order.push('record');
      finals.push({ id: e.id, err });
    };
    const d = deliveryOf(event, DELIVERY_LIMIT);
    const requeue = d.requeue.bind(d);
    d.requeue = () => {
      order.push('requeue');
      requeue();
    };
    await handleDelivery(d, ctx);
    expect(order).to.deep.equal(['record', 'requeue']);
    expect(finals[0]!.id).to.equal(event.id);
    expect(await registry.getSingleMetricAsString('multinic_dead_letters_total')).to.contain('reason="delivery-limit"} 1');
  });

  it('dead-letters a permanent failure at once: record, dead-letter with the reason, then ack', async () => {
    let calls = 0;
    const { ctx, finals, sleeps, failureLogs } = context(async () => {
      calls++;
      throw new HostError('netplan generate: line 3\nbad key', { cause: new Error('exit 1') });
    });
    const d = deliveryOf(event);
    await handleDelivery(d, ctx);
    expect(calls).to.equal(1);
    expect(sleeps).to.deep.equal([]);
    expect(finals.map((f) => f.id)).to.deep.equal([event.id]);
    expect(d.settled).to.deep.equal(['dead-letter', 'ack']);
    expect(d.deadReasons).to.deep.equal(['HostError: netplan generate: line 3 bad key']);
    expect(failureLogs()).to.have.length(1);
  });

  it('still settles when recording the failure itself fails, and says so in the one log line', async () => {
    const { ctx, failureLogs } = context(async () => {
      throw new HostError('refused');
    });
    ctx.onFinalFailure = async () => {
      throw new Error('database down');
    };
    const d = deliveryOf(event);
    await handleDelivery(d, ctx);
    expect(d.settled).to.deep.equal(['dead-letter', 'ack']);
    expect(failureLogs()).to.have.length(1);
    expect(failureLogs()[0]!.recordError).to.match(/database down/);
  });

  it('stops retrying when the trigger is stopping and gives the message back', async () => {
    let calls = 0;
    const { ctx } = context(
      async () => {
        calls++;
        throw new TransientError('slow');
      },
      { stopping: () => true },
    );
    const d = deliveryOf(event);
    await handleDelivery(d, ctx);
    expect(calls).to.equal(1);
    expect(d.settled).to.deep.equal(['requeue']);
  });

  it('does not settle a message whose channel closed while it was handled, and logs that', async () => {
    const d = deliveryOf(event);
    const { ctx, ring } = context(async () => {
      d.open = false;
      return OK;
    });
    await handleDelivery(d, ctx);
    expect(d.settled).to.deep.equal([]);
    expect(ring.records().find((r) => r.msg === 'event handled')?.note).to.match(/redeliver/);
  });

  it('survives an ack that throws because the channel closed at that moment', async () => {
    const d = deliveryOf(event);
    d.ack = () => {
      throw new Error('Channel closed');
    };
    const { ctx, ring } = context(async () => OK);
    await handleDelivery(d, ctx);
    expect(ring.records().find((r) => r.msg === 'event handled')?.note).to.match(/redeliver/);
  });
});
