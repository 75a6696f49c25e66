import type { InterfaceEvent } from '../events/types.js';
import { parseEvent } from '../events/validate.js';
import type { HandlerOutcome } from '../model/ports.js';
import { sameNode } from '../model/node-identity.js';
import type { MessageHandling } from '../runtime/handle-delivery.js';

export interface InterfaceEventParsing {
  /** nodeNames accepted in events (the database name and the Kubernetes name, any spelling under the identity rule); any other is invalid. */
  acceptNodeNames: readonly string[];
  /** Largest body accepted (`amqp.maxMessageBytes`); a larger one is dead-lettered unread. */
  maxMessageBytes: number;
}

/**
 * How the queue trigger reads interface events for this agent: parse and validate with
 * the contract's validator (throws InvalidEventError with the reason), log with the
 * event id, node and port, label by the last segment of the CloudEvents type
 * (`attach` / `detach`). The handler and the failure record are added by the root.
 */
export function interfaceEventParsing({ acceptNodeNames, maxMessageBytes }: InterfaceEventParsing): Pick<
  MessageHandling<InterfaceEvent, HandlerOutcome>,
  'parse' | 'fieldsOf' | 'kindOf'
> {
  return {
    parse: (body) => parseEvent(body, { maxBytes: maxMessageBytes, nodeNames: acceptNodeNames, sameNode }),
    fieldsOf: (event) => ({ eventId: event.id, node: event.data.nodeName, portId: event.data.portId }),
    kindOf: (event) => event.type.split('.').at(-1) ?? 'unknown',
  };
}
