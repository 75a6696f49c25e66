import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { InvalidEventError } from '../errors/errors.js';
import schema from './interface-event.schema.json' with { type: 'json' };
import { checkAddress, isInvalid, normalizeMac, parseSubnet, type Invalid } from './network.js';
import { DATA_KEYS, type InterfaceEvent, type InterfaceEventData } from './types.js';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
addFormats(ajv, ['date-time']);
const validateSchema = ajv.compile<InterfaceEvent>(schema);

/** The JSON Schema document, for `multinic schema` and the tests. */
export const interfaceEventSchema = schema;

/** What is wrong with one value, without naming where it is (callers name the field their way). */
function schemaReason(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `has unknown property ${JSON.stringify(e.params.additionalProperty)}`;
  if (e.keyword === 'required') return `is missing ${JSON.stringify(e.params.missingProperty)}`;
  if (e.keyword === 'enum') return `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  if (e.keyword === 'const') return `must be ${JSON.stringify(e.params.allowedValue)}`;
  if (e.keyword === 'pattern') return 'has characters or a form that is not allowed';
  return e.message ?? 'is invalid';
}

function describeSchemaError(e: ErrorObject): string {
  return `${e.instancePath || '(event)'} ${schemaReason(e)}`;
}

/** One complaint about event data, structured so each caller names the field its own way (a column, a flag). */
export interface DataProblem {
  /** The data key at fault, or null when the complaint is about the data object as a whole. */
  field: keyof InterfaceEventData | null;
  /** What is wrong, without the field's name, e.g. `has characters or a form that is not allowed`. */
  reason: string;
}

/** The schema's `data` rules alone, so data can be checked without wrapping it in an event. */
const validateDataSchema = ajv.compile<InterfaceEventData>({ $ref: `${schema.$id}#/properties/data` });

/**
 * Checks event data against the schema's `data` rules (the one definition) and returns
 * the first problem, or null when the data conforms. Does not run the semantic checks:
 * see `checkInterfaceData`.
 */
export function checkDataSchema(data: unknown): DataProblem | null {
  if (validateDataSchema(data)) return null;
  const e = validateDataSchema.errors![0]!;
  const key = /^\/(\w+)/.exec(e.instancePath)?.[1] ?? (e.keyword === 'required' ? String(e.params.missingProperty) : null);
  const field = key !== null && (DATA_KEYS as readonly string[]).includes(key) ? (key as keyof InterfaceEventData) : null;
  return { field, reason: field !== null && e.keyword === 'required' ? 'is missing' : schemaReason(e) };
}

/** The same `data` rules with every violation reported, not only the first (ajv's `allErrors`). */
const validateDataSchemaAll = (() => {
  const all = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(all, ['date-time']);
  all.addSchema(schema);
  return all.compile<InterfaceEventData>({ $ref: `${schema.$id}#/properties/data` });
})();

/**
 * Every problem of event data at once, at most one per field (the first the schema or
 * the semantic checks find), in DATA_KEYS order: the schema's rules, then, for fields the
 * schema accepted, the MAC's, the CIDR's, the address's (when the CIDR is good) and the
 * IPv6 MTU floor. Empty when `checkInterfaceData` would accept the data.
 */
export function dataProblems(data: InterfaceEventData): DataProblem[] {
  const byField = new Map<keyof InterfaceEventData | null, string>();
  const add = (field: keyof InterfaceEventData | null, reason: string) => {
    if (!byField.has(field)) byField.set(field, reason);
  };
  if (!validateDataSchemaAll(data)) {
    for (const e of validateDataSchemaAll.errors!) {
      const key = /^\/(\w+)/.exec(e.instancePath)?.[1] ?? (e.keyword === 'required' ? String(e.params.missingProperty) : null);
      const field = key !== null && (DATA_KEYS as readonly string[]).includes(key) ? (key as keyof InterfaceEventData) : null;
      // A nullable field's type error is followed by one per branch of its type union; the first says it.
      add(field, field !== null && e.keyword === 'required' ? 'is missing' : schemaReason(e));
    }
  }
  const ok = (f: keyof InterfaceEventData) => !byField.has(f) && typeof data[f] !== 'undefined';
  if (ok('macAddress')) {
    const mac = normalizeMac(data.macAddress);
    if (isInvalid(mac)) add('macAddress', mac.error);
  }
  const subnet = ok('cidr') ? parseSubnet(data.cidr) : undefined;
  if (subnet && isInvalid(subnet)) add('cidr', subnet.error);
  if (subnet && !isInvalid(subnet)) {
    if (ok('address') && data.address !== null) {
      const checked = checkAddress(data.address, subnet);
      if (isInvalid(checked)) add('address', checked.error);
    }
    if (ok('mtu') && data.mtu !== null && subnet.family === 6 && data.mtu < 1280) add('mtu', `${data.mtu} is below 1280, the minimum for IPv6 subnet ${subnet.cidr}`);
  }
  const order = (f: keyof InterfaceEventData | null) => (f === null ? -1 : DATA_KEYS.indexOf(f));
  return [...byField].sort((a, b) => order(a[0]) - order(b[0])).map(([field, reason]) => ({ field, reason }));
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
  /**
   * When two node names are one node (the caller's identity rule; default: equal). The
   * agent passes the model's `sameNode`, so an event spelling its node `WORKER-1.` is its own.
   */
  sameNode?: (a: string, b: string) => boolean;
}

/**
 * Turns a message body into a validated event or throws an InvalidEventError whose
 * message is the one-line reason that goes into the dead-letter header.
 */
export function parseEvent(body: Buffer | string, { maxBytes, nodeNames, sameNode = (a, b) => a === b }: ParseOptions): InterfaceEvent {
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
  if (nodeNames && !nodeNames.some((n) => sameNode(n, event.data.nodeName))) {
    throw new InvalidEventError(`event is for node ${JSON.stringify(event.data.nodeName)}, this agent serves ${nodeNames.map((n) => JSON.stringify(n)).join(' / ')}`);
  }
  return event;
}
