import { expect } from 'chai';
import { createSerializer } from '../../../src/lib/serial.js';

describe('serializer, as the agent uses it', () => {
  it('runs tasks one at a time in call order, and a failure does not stop the next', async () => {
    const run = createSerializer();
    const order: string[] = [];
    const slow = run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('slow');
      throw new Error('x');
    });
    const fast = run(async () => {
      order.push('fast');
      return 1;
    });
    await slow.catch(() => undefined);
    expect(await fast).to.equal(1);
    expect(order).to.deep.equal(['slow', 'fast']);
  });
});

describe('serializer, as the host uses it', () => {
  it('runs sections one at a time, in call order, and survives a failing one', async () => {
    const run = createSerializer();
    const events: string[] = [];
    const section = (id: string, ms: number, fail = false) =>
      run(async () => {
        events.push(`start ${id}`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`end ${id}`);
        if (fail) throw new Error(id);
      });
    const results = await Promise.allSettled([section('a', 20), section('b', 1, true), section('c', 1)]);
    expect(events).to.deep.equal(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
  });
});
