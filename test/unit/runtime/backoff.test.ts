import { expect } from 'chai';
import { backoffDelay } from '../../../src/runtime/backoff.js';

const almostOne = () => 0.999999;

describe('backoffDelay', () => {
  it('grows exponentially from baseMs while below the cap', () => {
    const caps = [0, 1, 2, 3, 4].map((a) => backoffDelay(a, { baseMs: 100, maxMs: 100_000, random: almostOne }));
    expect(caps).to.deep.equal([99, 199, 399, 799, 1599]);
  });

  it('never exceeds maxMs, however many attempts', () => {
    for (const attempt of [10, 60, 1_000, Number.MAX_SAFE_INTEGER, Infinity]) {
      expect(backoffDelay(attempt, { random: almostOne })).to.be.at.most(10_000).and.at.least(9_999);
    }
  });

  it('is full jitter: anywhere from 0 up to the cap', () => {
    expect(backoffDelay(3, { random: () => 0 })).to.equal(0);
    expect(backoffDelay(3, { random: () => 0.5 })).to.equal(800);
  });

  it('stays within bounds with a misbehaving random source', () => {
    expect(backoffDelay(2, { random: () => 7 })).to.equal(800);
    expect(backoffDelay(2, { random: () => -1 })).to.equal(0);
  });

  it('treats a negative or fractional attempt as its floor, at least 0', () => {
    expect(backoffDelay(-5, { random: almostOne })).to.equal(199);
    expect(backoffDelay(2.7, { random: almostOne })).to.equal(799);
  });

  it('defaults to 200 ms first and 10 s at most', () => {
    expect(backoffDelay(0, { random: almostOne })).to.equal(199);
    expect(backoffDelay(100, { random: almostOne })).to.equal(9_999);
  });
});
