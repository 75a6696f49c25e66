import { createHash } from 'node:crypto';
import { DATA_KEYS, DATA_SCHEMA_ID, type EventType, type InterfaceEvent, type InterfaceEventData } from './types.js';

/**
 * The event id: stable for one (type, port, generation, content), so a duplicate is
 * recognisable wherever it comes from. A SHA-256 of the canonical data, shaped as a
 * UUID (version nibble 8, "custom") so it reads like one in the management UI.
 */
export function eventId(type: EventType, data: InterfaceEventData): string {
  const canonical = JSON.stringify([type, ...DATA_KEYS.map((k) => data[k])]);
  const h = createHash('sha256').update(canonical).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A digest of what a node would apply for this data; equal digests mean nothing changed. */
export function contentDigest(data: InterfaceEventData): string {
  const { generation: _generation, ...content } = data;
  return createHash('sha256').update(JSON.stringify(DATA_KEYS.filter((k) => k !== 'generation').map((k) => content[k as keyof typeof content]))).digest('hex').slice(0, 32);
}

export interface BuildOptions {
  /** CloudEvents `source`, e.g. `/multinic/publisher`. */
  source: string;
  now?: () => Date;
}

/** Builds a CloudEvent for already-validated data; the id follows from type and data. */
export function buildEvent(type: EventType, data: InterfaceEventData, { source, now = () => new Date() }: BuildOptions): InterfaceEvent {
  return {
    specversion: '1.0',
    id: eventId(type, data),
    source,
    type,
    subject: data.portId,
    time: now().toISOString(),
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMA_ID,
    data,
  };
}
