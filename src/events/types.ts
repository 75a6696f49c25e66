/**
 * TypeScript view of `interface-event.schema.json`. A unit test keeps the two in step
 * (same fields, same required set), so change both together.
 */

/** CloudEvents `type` values of the contract. */
export const EventType = {
  Attach: 'io.multinic.interface.attach',
  Detach: 'io.multinic.interface.detach',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** The `data` of an interface event: what one node must do with one port. */
export interface InterfaceEventData {
  /** attached_node_name; also the routing key. */
  nodeName: string;
  portId: string;
  /** Lower-case, colon-separated. */
  macAddress: string;
  subnetId: string;
  subnetName: string;
  networkId: string;
  /** Canonical network CIDR of the subnet, IPv4 or IPv6. */
  cidr: string;
  /** A bare IP inside `cidr`; null means DHCP for the subnet's family. */
  address: string | null;
  /** 576–9216 (at least 1280 on IPv6); null leaves the NIC's MTU alone. */
  mtu: number | null;
  crNamespace: string | null;
  crName: string | null;
  /** Row version: modified_at (or created_at) in integer milliseconds since the epoch, UTC. */
  generation: number;
}

/** Keys of `InterfaceEventData`, in schema order; the schema test compares against it. */
export const DATA_KEYS = [
  'nodeName', 'portId', 'macAddress', 'subnetId', 'subnetName', 'networkId', 'cidr', 'address', 'mtu', 'crNamespace', 'crName', 'generation',
] as const satisfies ReadonlyArray<keyof InterfaceEventData>;

/** A CloudEvents 1.0 structured-mode interface event. */
export interface InterfaceEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: EventType;
  /** The port id. */
  subject: string;
  /** RFC 3339 time the event was created. */
  time: string;
  datacontenttype: 'application/json';
  dataschema?: string;
  data: InterfaceEventData;
}

/** AMQP content type of a structured-mode CloudEvent. */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';
/** Published as `dataschema` so a reader of the management UI can find the contract. */
export const DATA_SCHEMA_ID = 'https://multinic.io/schemas/interface-event.schema.json';
