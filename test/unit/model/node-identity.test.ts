import { expect } from 'chai';
import { hostKey, resolveNode, rowOwner, sameNode } from '../../../src/model/node-identity.js';

/**
 * The one node-identity rule, spelling by spelling: what Nova, cloud-init and the kubelet
 * are known to do to a host name must match; anything else must not.
 */
describe('node identity rule', () => {
  const SAME: Array<[string, string, string]> = [
    ['equal', 'worker-1', 'worker-1'],
    ['short name vs FQDN (cloud-init short hostname, node_table FQDN)', 'worker-1', 'worker-1.novalocal'],
    ['FQDN vs short name (kubelet on an FQDN host, node_table short)', 'worker-1.cluster.local', 'worker-1'],
    ['case (RFC 4343; the kubelet lower-cases)', 'Worker-1', 'worker-1'],
    ['case inside an FQDN', 'WORKER-1.NovaLocal', 'worker-1'],
    ['trailing dot (absolute name, RFC 1034)', 'worker-1.novalocal.', 'worker-1.novalocal'],
    ['trailing dot on a short name', 'worker-1.', 'worker-1'],
    ['Nova display name with an underscore', 'worker_1', 'worker-1'],
    ['Nova display name with a space', 'Worker 1', 'worker-1'],
    ['Nova display name with characters Nova drops', 'worker-1!', 'worker-1'],
    ['Nova truncates display names to 63 characters', `${'w'.repeat(63)}xyz_`, 'w'.repeat(63)],
    ['surrounding white space', ' worker-1 ', 'worker-1'],
  ];
  for (const [what, a, b] of SAME) {
    it(`matches: ${what} (${JSON.stringify(a)} ~ ${JSON.stringify(b)})`, () => {
      expect(sameNode(a, b)).to.equal(true);
      expect(sameNode(b, a), 'symmetric').to.equal(true);
    });
  }

  const DIFFERENT: Array<[string, string, string]> = [
    ['a numeric suffix is another host (worker-1 vs worker-10)', 'worker-1', 'worker-10'],
    ['Nova multi-create suffix is another host (worker vs worker-1)', 'worker', 'worker-1'],
    ['two FQDNs with different domains', 'worker-1.a', 'worker-1.b'],
    ['a label that is not the first', 'worker-1', 'rack-2.worker-1'],
    ['a mere prefix', 'worker', 'worker-1.novalocal'],
    ['a LIKE wildcard is not a wildcard', 'worker%1', 'worker-1'],
    ['empty names never match', '', ''],
    ['a name of only punctuation', '._-', 'x'],
  ];
  for (const [what, a, b] of DIFFERENT) {
    it(`does not match: ${what} (${JSON.stringify(a)} / ${JSON.stringify(b)})`, () => {
      expect(sameNode(a, b)).to.equal(false);
      expect(sameNode(b, a)).to.equal(false);
    });
  }

  it('hostKey folds case, one trailing dot and Nova\'s form, and keeps a valid host name as it is', () => {
    expect(hostKey('Worker-1.NovaLocal.')).to.equal('worker-1.novalocal');
    expect(hostKey('My_Server 01')).to.equal('my-server-01');
    expect(hostKey('worker-1')).to.equal('worker-1');
  });

  describe('resolveNode against node_table', () => {
    it('prefers the verbatim name, then the same key, then the one same host', () => {
      expect(resolveNode('worker-1', ['worker-1', 'worker-1.novalocal'])).to.deep.equal({ kind: 'known', name: 'worker-1', how: 'exact' });
      expect(resolveNode('WORKER-1.', ['worker-1', 'worker-1.novalocal'])).to.deep.equal({ kind: 'known', name: 'worker-1', how: 'spelling' });
      expect(resolveNode('worker-1.novalocal', ['worker-1'])).to.deep.equal({ kind: 'known', name: 'worker-1', how: 'spelling' });
    });
    it('refuses to guess between worker-1.a and worker-1.b for worker-1', () => {
      expect(resolveNode('worker-1', ['worker-1.a', 'worker-1.b'])).to.deep.equal({ kind: 'ambiguous', candidates: ['worker-1.a', 'worker-1.b'] });
    });
    it('worker-1.a resolves to itself even with worker-1.b beside it', () => {
      expect(resolveNode('worker-1.a', ['worker-1.a', 'worker-1.b'])).to.include({ kind: 'known', name: 'worker-1.a' });
    });
    it('worker-1 is unknown when node_table only has worker-10', () => {
      expect(resolveNode('worker-1', ['worker-10', 'worker-10.novalocal'])).to.deep.equal({ kind: 'unknown' });
    });
  });

  describe('rowOwner: only "other" allows a removal', () => {
    const table = ['worker-1', 'worker-2'];
    it('a row rewritten to worker-1.novalocal is still this node (the issue\'s input)', () => {
      expect(rowOwner('worker-1.novalocal', 'worker-1', table)).to.deep.equal({ owner: 'this' });
    });
    it('a row of another known node is positive evidence', () => {
      expect(rowOwner('worker-2.novalocal', 'worker-1', table)).to.deep.equal({ owner: 'other', node: 'worker-2' });
    });
    it('a row naming an unknown node is reported, not acted on', () => {
      expect(rowOwner('worker-9', 'worker-1', table)).to.include({ owner: 'unknown' });
      expect(rowOwner(null, 'worker-1', table)).to.include({ owner: 'unknown' });
    });
    it('a row fitting several node_table names is ambiguous', () => {
      const owner = rowOwner('worker-1', 'worker-1.a', ['worker-1.a', 'worker-1.b']);
      expect(owner.owner).to.equal('ambiguous');
    });
  });
});
