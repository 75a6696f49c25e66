import { expect } from 'chai';
import { chooseNodeName, resolveNodeName } from '../../../src/agent/node-name.js';
import { firstLabel } from '../../../src/model/dns.js';
import { FakeStore, fakePorts } from '../../helpers/fakes.js';

describe('agent node-name resolution', () => {
  it('takes an exact node_table match', () => {
    expect(chooseNodeName('worker-1', ['worker-1', 'worker-1.novalocal'])).to.deep.equal({ kubeName: 'worker-1', dbName: 'worker-1', known: true, how: 'exact' });
  });
  it('matches a short Kubernetes name to the FQDN in node_table', () => {
    expect(chooseNodeName('worker-1', ['worker-1.novalocal'])).to.include({ dbName: 'worker-1.novalocal', known: true, how: 'dns-label' });
  });
  it('matches an FQDN Kubernetes name to the short name in node_table', () => {
    expect(chooseNodeName('worker-1.cluster.local', ['worker-1'])).to.include({ dbName: 'worker-1', known: true, how: 'dns-label' });
  });
  it('never guesses between two DNS-label matches: keeps NODE_NAME, unknown', () => {
    expect(chooseNodeName('worker-1', ['worker-1.a', 'worker-1.b'])).to.include({ dbName: 'worker-1', known: false, how: 'ambiguous' });
  });
  it('keeps NODE_NAME, unknown, when nothing matches (worker-10 is not worker-1)', () => {
    expect(chooseNodeName('worker-1', ['worker-10.novalocal'])).to.include({ dbName: 'worker-1', known: false, how: 'unknown' });
  });
  it('NODE_DB_NAME wins, known only if node_table has it', () => {
    expect(chooseNodeName('worker-1', ['db-7'], 'db-7')).to.include({ dbName: 'db-7', known: true, how: 'configured' });
    expect(chooseNodeName('worker-1', [], 'db-7')).to.include({ dbName: 'db-7', known: false, how: 'configured' });
  });
  it('firstLabel', () => {
    expect(firstLabel('a.b.c')).to.equal('a');
    expect(firstLabel('a')).to.equal('a');
  });
  it('resolveNodeName asks the store and warns the operator to set NODE_DB_NAME on a DNS-label match', async () => {
    const store = new FakeStore();
    store.nodeNames = ['worker-1.novalocal', 'worker-2.novalocal'];
    const { ports, records } = fakePorts({ store });
    const r = await resolveNodeName({ kubeName: 'worker-1' }, { store, log: ports.log });
    expect(r.dbName).to.equal('worker-1.novalocal');
    const warn = records().find((x) => x.level === 40);
    expect(warn?.msg).to.include('NODE_DB_NAME=worker-1.novalocal');
  });
  it('resolveNodeName throws when the query fails, rather than guessing', async () => {
    const store = new FakeStore();
    store.failNext('listNodeNames');
    const { ports } = fakePorts({ store });
    let thrown: unknown;
    await resolveNodeName({ kubeName: 'worker-1' }, { store, log: ports.log }).catch((e: unknown) => (thrown = e));
    expect(thrown).to.be.instanceOf(Error);
  });
});
