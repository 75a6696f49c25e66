import { expect } from 'chai';
import { eventForFailure, eventForOutcome, recordNodeEvent } from '../../../src/agent/node-events.js';
import { HostError, RolledBackError, RolledBackTransientError, TransientError } from '../../../src/errors/errors.js';
import { OverlapError } from '../../../src/host/overlap.js';
import { ForeignClaimError } from '../../../src/host/ownership.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { attachEvent, interfaceData } from '../../helpers/builders.js';

describe('Events on the Node: which story an outcome tells (agent/node-events)', () => {
  const event = attachEvent(interfaceData({ portId: 'p1', macAddress: 'fa:16:3e:00:00:01', cidr: '10.20.0.0/24', address: '10.20.0.5' }));

  it('configured and removed are Normal; a no-op records nothing', () => {
    expect(eventForOutcome(event, { result: 'configured', interfaceName: 'multinic0', detail: '' })).to.deep.equal({
      type: 'Normal', reason: 'InterfaceConfigured', message: 'port p1 (MAC fa:16:3e:00:00:01, subnet 10.20.0.0/24, address 10.20.0.5) configured as multinic0',
    });
    expect(eventForOutcome(event, { result: 'removed', interfaceName: 'multinic0', detail: '' })?.reason).to.equal('InterfaceRemoved');
    for (const result of ['unchanged', 'absent', 'stale'] as const) expect(eventForOutcome(event, { result, interfaceName: null, detail: '' })).to.equal(undefined);
  });

  it('refused, rolled back (permanent or transient) and failed are Warnings with the reason', () => {
    expect(eventForFailure(event, new OverlapError('its subnet overlaps x'))).to.include({ type: 'Warning', reason: 'InterfaceRefused' });
    expect(eventForFailure(event, new ForeignClaimError('claimed by y')).message).to.match(/refused: claimed by y$/);
    expect(eventForFailure(event, new RolledBackError('rolled back after: probe')).reason).to.equal('InterfaceRolledBack');
    expect(eventForFailure(event, new RolledBackTransientError('rolled back after: timeout')).reason).to.equal('InterfaceRolledBack');
    expect(eventForFailure(event, new HostError('netplan rejected')).reason).to.equal('InterfaceFailed');
    expect(eventForFailure(event, new TransientError('db\naway')).message).to.match(/failed: db away$/);
  });

  it('a recorder that fails is logged, never thrown: an Event never decides an event', async () => {
    const { log, records } = createRingLogger();
    await recordNodeEvent({ record: async () => { throw new Error('403'); } }, 'worker-1', { type: 'Normal', reason: 'X', message: 'm' }, log);
    expect(records().some((r) => r.msg === 'could not record the Kubernetes Event on the Node')).to.equal(true);
  });
});
