import type { Message, Options } from 'amqplib';
import { expect } from 'chai';
import { Exchanges } from '../../../src/amqp/topology.js';
import { TransientError } from '../../../src/errors/errors.js';
import { deadLetterProperties, oneLineReason, publishDeadLetter } from '../../../src/runtime/dead-letter.js';

function message(over: Partial<Message['properties']> = {}): Message {
  return {
    content: Buffer.from('{"not":"valid"}'),
    fields: { deliveryTag: 7, redelivered: false, exchange: 'multinic.events', routingKey: 'worker-1', messageCount: 0 } as Message['fields'],
    properties: {
      contentType: 'application/cloudevents+json',
      contentEncoding: 'utf-8',
      headers: { 'x-multinic-node': 'worker-1', 'x-delivery-count': 3, custom: 'kept' },
      deliveryMode: 2,
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: '60000',
      messageId: 'evt-1',
      timestamp: 1_700_000_000,
      type: 'io.multinic.interface.attach',
      userId: 'someone-else',
      appId: 'openstack-tool',
      clusterId: undefined,
      ...over,
    },
  };
}

describe('dead-letter copy', () => {
  it('keeps the original properties and headers and adds the reason and the origin', () => {
    const opts = deadLetterProperties(message(), 'schema: /data is missing "mtu"', 'multinic.node.worker-1');
    expect(opts).to.include({ persistent: true, contentType: 'application/cloudevents+json', contentEncoding: 'utf-8', messageId: 'evt-1', timestamp: 1_700_000_000, type: 'io.multinic.interface.attach', appId: 'openstack-tool' });
    expect(opts.headers).to.deep.equal({
      'x-multinic-node': 'worker-1',
      custom: 'kept',
      'x-multinic-error': 'schema: /data is missing "mtu"',
      'x-multinic-original-queue': 'multinic.node.worker-1',
      'x-multinic-original-exchange': 'multinic.events',
      'x-multinic-original-routing-key': 'worker-1',
    });
  });

  it("drops what would make the broker refuse the copy or expire the evidence", () => {
    const opts = deadLetterProperties(message(), 'x', 'q');
    expect(opts).to.not.have.property('userId');
    expect(opts).to.not.have.property('expiration');
  });

  it('keeps the reason on one bounded line', () => {
    expect(oneLineReason('a\nb\r\nc\td')).to.equal('a b c d');
    expect(oneLineReason('y'.repeat(2000))).to.have.length(500);
    expect(oneLineReason('')).to.equal('unknown reason');
  });

  it('publishes to multinic.dead and resolves on the confirm', async () => {
    const published: Array<{ exchange: string; routingKey: string; content: Buffer; options?: Options.Publish }> = [];
    const ch = {
      publish(exchange: string, routingKey: string, content: Buffer, options?: Options.Publish, cb?: (err: unknown) => void) {
        published.push({ exchange, routingKey, content, options });
        setImmediate(() => cb?.(null));
        return true;
      },
    };
    await publishDeadLetter(ch, message(), 'bad', 'multinic.node.worker-1');
    expect(published).to.have.length(1);
    expect(published[0]!.exchange).to.equal(Exchanges.Dead);
    expect(published[0]!.content.toString()).to.equal('{"not":"valid"}');
    expect(published[0]!.options?.headers?.['x-multinic-error']).to.equal('bad');
  });

  it('rejects with a TransientError when the broker nacks or the channel is closed', async () => {
    const nacking = { publish: (_e: string, _r: string, _c: Buffer, _o?: Options.Publish, cb?: (err: unknown) => void) => (setImmediate(() => cb?.(new Error('message nacked'))), true) };
    const closed = {
      publish: (): boolean => {
        throw new Error('Channel closed');
      },
    };
    for (const ch of [nacking, closed]) {
      let caught: unknown;
      await publishDeadLetter(ch, message(), 'bad', 'q').catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(TransientError);
    }
  });
});
