import { expect } from 'chai';
import { buildEvent, eventId } from '../../../src/events/build.js';
import { DATA_KEYS, EventType, type InterfaceEventData } from '../../../src/events/types.js';
import { interfaceEventSchema, parseEvent, validateEvent } from '../../../src/events/validate.js';
import { InvalidEventError } from '../../../src/errors/errors.js';

const data: InterfaceEventData = {
  nodeName: 'worker-node-1',
  portId: '7f3e2a10-0000-4000-8000-000000000112',
  macAddress: 'fa:16:3e:10:01:12',
  subnetId: 'subnet-data',
  subnetName: 'data-net',
  networkId: 'network-data',
  cidr: '192.168.100.0/24',
  address: '192.168.100.11',
  mtu: 1500,
  crNamespace: 'multinic-system',
  crName: 'multinic-worker-node-1',
  generation: 1_767_323_045_678,
};
const event = () => buildEvent(EventType.Attach, data, { source: '/multinic/publisher', now: () => new Date(0) });

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidEventError);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidEventError');
}

describe('event contract', () => {
  const dataSchema = interfaceEventSchema.properties.data;

  it('keeps the schema file and types.ts in step: same data keys', () => {
    expect(Object.keys(dataSchema.properties)).to.deep.equal([...DATA_KEYS]);
  });

  it('keeps the schema file and types.ts in step: every data key required', () => {
    expect([...dataSchema.required].sort()).to.deep.equal([...DATA_KEYS].sort());
  });

  it('lists exactly the contract event types', () => {
    expect(interfaceEventSchema.properties.type.enum).to.deep.equal(Object.values(EventType));
  });

  it('gives a stable id for one (type, port, generation, content) and a new one when any changes', () => {
    const id = eventId(EventType.Attach, data);
    expect(eventId(EventType.Attach, { ...data })).to.equal(id);
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventId(EventType.Detach, data)).to.not.equal(id);
    expect(eventId(EventType.Attach, { ...data, generation: data.generation + 1 })).to.not.equal(id);
    expect(eventId(EventType.Attach, { ...data, mtu: 9000 })).to.not.equal(id);
  });

  it('accepts a built event and a parsed body', () => {
    expect(validateEvent(event()).data).to.deep.equal(data);
    expect(parseEvent(JSON.stringify(event()), { maxBytes: 65536, nodeNames: ['worker-node-1'] }).id).to.equal(event().id);
  });

  it('rejects with one-line reasons', () => {
    expect(rejection(() => validateEvent({ ...event(), extra: 1 }))).to.match(/unknown property "extra"/);
    expect(rejection(() => validateEvent({ ...event(), data: { ...data, nodeName: 'a b' } }))).to.match(/\/data\/nodeName has characters/);
    expect(rejection(() => validateEvent({ ...event(), subject: 'other' }))).to.match(/does not match data.portId/);
    expect(rejection(() => validateEvent({ ...event(), data: { ...data, address: '10.0.0.1' } }))).to.match(/outside its cidr/);
    expect(rejection(() => parseEvent('{', { maxBytes: 100 }))).to.match(/not JSON/);
    expect(rejection(() => parseEvent('[]', { maxBytes: 100 }))).to.match(/not a JSON object/);
    expect(rejection(() => parseEvent(JSON.stringify({ ...event(), specversion: '0.3' }), { maxBytes: 65536 }))).to.match(/specversion/);
    expect(rejection(() => parseEvent('x'.repeat(200), { maxBytes: 100 }))).to.match(/larger than the 100-byte limit/);
    expect(rejection(() => parseEvent(Buffer.from([0xff, 0xfe]), { maxBytes: 100 }))).to.match(/not valid UTF-8/);
    expect(rejection(() => parseEvent(JSON.stringify(event()), { maxBytes: 65536, nodeNames: ['worker-node-2'] }))).to.match(/serves "worker-node-2"/);
  });
});
