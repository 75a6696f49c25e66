import { expect } from 'chai';
import { applyMergePatch } from '../../helpers/fake-kube-api.js';

// The fake Node API is only as good as its merge patch: these are RFC 7386's own examples.
describe('fake Kubernetes API: applyMergePatch (RFC 7386)', () => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, expected] of cases) {
    it(`${JSON.stringify(target)} + ${JSON.stringify(patch)} = ${JSON.stringify(expected)}`, () => {
      expect(applyMergePatch(target, patch)).to.deep.equal(expected);
    });
  }

  it('does not modify the target it is given', () => {
    const target = { metadata: { labels: { a: '1' } } };

    applyMergePatch(target, { metadata: { labels: { a: null, b: '2' } } });

    expect(target).to.deep.equal({ metadata: { labels: { a: '1' } } });
  });
});
