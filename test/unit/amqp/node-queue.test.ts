import { expect } from 'chai';
import { parseInequivalentArg } from '../../../src/amqp/node-queue.js';
import { setPolicyCommand } from '../../../src/amqp/policy.js';

describe('node queue declaration helpers', () => {
  it("reads the argument and RabbitMQ's words out of a 406", () => {
    // As RabbitMQ 3.10.8 answered on this machine (amqplib's message).
    const msg =
      'Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg \'x-single-active-consumer\' for queue \'multinic.node.worker-9\' in vhost \'/\': received the value \'true\' of type \'bool\' but current is none"';
    expect(parseInequivalentArg(msg)).to.deep.equal({ argument: 'x-single-active-consumer', detail: "received the value 'true' of type 'bool' but current is none" });
  });

  it('keeps the text when RabbitMQ names no argument', () => {
    expect(parseInequivalentArg('Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - something else"')).to.deep.equal({ argument: undefined, detail: 'something else' });
  });

  it('prints the rabbitmqctl line that sets the same policy', () => {
    expect(setPolicyCommand('/')).to.equal(
      `rabbitmqctl set_policy -p '/' --priority 10 --apply-to queues multinic-node-queues '^multinic\\.node\\.' '{"delivery-limit":10,"dead-letter-exchange":"multinic.dead"}'`,
    );
  });
});
