import { DELIVERY_LIMIT } from '../../src/amqp/topology.js';
import type { InterfaceEvent } from '../../src/events/types.js';
import { createAgentMetrics, createRegistry } from '../../src/http/metrics.js';
import { createRingLogger } from '../../src/log/logger.js';
import { interfaceEventParsing, type InterfaceEventParsing } from '../../src/agent/delivery.js';
import type { HandlerOutcome } from '../../src/model/ports.js';
import { deliveryMetrics } from '../../src/roots/delivery-metrics.js';
import type { Delivery, DeliveryContext } from '../../src/runtime/handle-delivery.js';

/** A hand-written delivery that records what was done with it. */
export class FakeDelivery implements Delivery {
  settled: string[] = [];
  deadReasons: string[] = [];
  open = true;
  failDeadLetter = false;
  headers: Record<string, unknown> = {};
  constructor(
    public content: Buffer,
    public deliveryCount = 0,
    public messageId?: string,
  ) {}
  isOpen() {
    return this.open;
  }
  ack() {
    this.settled.push('ack');
  }
  requeue() {
    this.settled.push('requeue');
  }
  async deadLetter(reason: string) {
    if (this.failDeadLetter) throw new Error('channel closed');
    this.deadReasons.push(reason);
    this.settled.push('dead-letter');
  }
}

export function deliveryOf(event: unknown, count = 0): FakeDelivery {
  return new FakeDelivery(Buffer.from(JSON.stringify(event)), count, (event as { id?: string }).id);
}

export type Context = DeliveryContext<InterfaceEvent, HandlerOutcome>;

/** The agent's parsing and metrics, as its composition root wires them. */
export function context(handler: Context['handler'], over: Partial<Context & InterfaceEventParsing> = {}) {
  const ring = createRingLogger();
  const registry = createRegistry();
  const metrics = createAgentMetrics(registry);
  const sleeps: number[] = [];
  const finals: Array<{ id: string; err: unknown }> = [];
  const { acceptNodeNames = ['worker-1'], maxMessageBytes = 65536, ...rest } = over;
  const ctx: Context = {
    node: 'worker-1',
    ...interfaceEventParsing({ acceptNodeNames, maxMessageBytes }),
    handler,
    onFinalFailure: async (event, err) => void finals.push({ id: event.id, err }),
    maxRetries: 3,
    deliveryLimit: DELIVERY_LIMIT,
    backoff: (attempt) => 100 * (attempt + 1),
    sleep: async (ms) => void sleeps.push(ms),
    stopping: () => false,
    log: ring.log,
    observer: deliveryMetrics(metrics),
    ...rest,
  };
  const failureLogs = () => ring.records().filter((r) => (r.level as number) >= 40);
  return { ctx, ring, registry, sleeps, finals, failureLogs };
}

