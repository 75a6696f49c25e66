import { CLOUDEVENTS_CONTENT_TYPE, type InterfaceEvent } from './types.js';

/** Headers that let a person read a message in the management UI without opening it. */
export const Header = {
  Node: 'x-multinic-node',
  Port: 'x-multinic-port',
  Generation: 'x-multinic-generation',
  Action: 'x-multinic-action',
  /** Set on messages the agent dead-letters: the one-line reason. */
  Error: 'x-multinic-error',
} as const;

/** The AMQP publish options for one event: persistent, self-describing, confirmable. */
export function amqpPropertiesFor(event: InterfaceEvent, appId: string) {
  return {
    persistent: true,
    mandatory: true,
    messageId: event.id,
    type: event.type,
    timestamp: Math.floor(Date.parse(event.time) / 1000),
    appId,
    contentType: CLOUDEVENTS_CONTENT_TYPE,
    contentEncoding: 'utf-8',
    headers: {
      [Header.Node]: event.data.nodeName,
      [Header.Port]: event.data.portId,
      [Header.Generation]: event.data.generation,
      [Header.Action]: event.type.split('.').at(-1),
    },
  };
}
