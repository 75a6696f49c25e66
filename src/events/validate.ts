import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { InvalidEventError } from '../errors/errors.js';
import schema from './interface-event.schema.json' with { type: 'json' };
import { checkAddress, isInvalid, normalizeMac, parseSubnet, type Invalid } from './network.js';
import type { InterfaceEvent, InterfaceEventData } from './types.js';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
addFormats(ajv, ['date-time']);
const validateSchema = ajv.compile<InterfaceEvent>(schema);

/** The JSON Schema document, for `multinic schema` and the tests. */
export const interfaceEventSchema = schema;

function describeSchemaError(e: ErrorObject): string {
  const where = e.instancePath || '(event)';
  if (e.keyword === 'additionalProperties') return `${where} has unknown property ${JSON.stringify(e.params.additionalProperty)}`;
  if (e.keyword === 'required') return `${where} is missing ${JSON.stringify(e.params.missingProperty)}`;
  if (e.keyword === 'enum') return `${where} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  if (e.keyword === 'const') return `${where} must be ${JSON.stringify(e.params.allowedValue)}`;
  if (e.keyword === 'pattern') return `${where} has characters or a form that is not allowed`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

/**
 * The checks JSON Schema cannot express: MAC normal form, the subnet CIDR, the address
 * inside it, and the IPv6 MTU floor. Returns the data in canonical form (lower-case MAC,
 * canonical CIDR and address) or `{ error }`. The publisher runs it on rows, the agent
 * and `multinic publish` on events.
 */
export function checkInterfaceData(data: InterfaceEventData): InterfaceEventData | Invalid {
  const mac = normalizeMac(data.macAddress);
  if (isInvalid(mac)) return mac;
  const subnet = parseSubnet(data.cidr);
  if (isInvalid(subnet)) return subnet;
  let address: string | null = null;
  if (data.address !== null) {
    const checked = checkAddress(data.address, subnet);
    if (isInvalid(checked)) return checked;
    address = checked;
  }
  if (data.mtu !== null && subnet.family === 6 && data.mtu < 1280) {
    return { error: `mtu ${data.mtu} is below 1280, the minimum for IPv6 subnet ${subnet.cidr}` };
  }
  return { ...data, macAddress: mac, cidr: subnet.cidr, address };
}

/** Validates an already-parsed object against the schema and the semantic checks. */
export function validateEvent(value: unknown): InterfaceEvent {
  if (!validateSchema(value)) {
    throw new InvalidEventError(`schema: ${describeSchemaError(validateSchema.errors![0]!)}`);
  }
  const event = value as InterfaceEvent;
  if (event.subject !== event.data.portId) {
    throw new InvalidEventError(`subject ${JSON.stringify(event.subject)} does not match data.portId ${JSON.stringify(event.data.portId)}`);
  }
  const data = checkInterfaceData(event.data);
  if (isInvalid(data)) throw new InvalidEventError(data.error);
  return { ...event, data };
}

export interface ParseOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Node names this consumer answers to; an event for any other node is rejected. */
  nodeNames?: readonly string[];
}

/**
 * Turns a message body into a validated event or throws an InvalidEventError whose
 * message is the one-line reason that goes into the dead-letter header.
 */
export function parseEvent(body: Buffer | string, { maxBytes, nodeNames }: ParseOptions): InterfaceEvent {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > maxBytes) throw new InvalidEventError(`message is ${size} bytes, larger than the ${maxBytes}-byte limit`);
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new InvalidEventError('message body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidEventError(`message body is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidEventError('message body is not a JSON object (not a CloudEvent)');
  }
  if ((value as { specversion?: unknown }).specversion !== '1.0') {
    throw new InvalidEventError('not a CloudEvents 1.0 event (specversion must be "1.0")');
  }
  const event = validateEvent(value);
  if (nodeNames && !nodeNames.includes(event.data.nodeName)) {
    throw new InvalidEventError(`event is for node ${JSON.stringify(event.data.nodeName)}, this agent serves ${nodeNames.map((n) => JSON.stringify(n)).join(' / ')}`);
  }
  return event;
}
