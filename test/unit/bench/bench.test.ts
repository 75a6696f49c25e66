import { expect } from 'chai';
import { queriesPerSecond, ZERO_COUNTERS } from '../../../scripts/bench/counters.js';
import { address, cidr, mac, splitRange } from '../../../scripts/bench/fixture.js';
import { DEFAULT_OPTIONS, parseBenchArgs } from '../../../scripts/bench/options.js';
import { formatTable, ratio, summarize } from '../../../scripts/bench/stats.js';
import { meanPerCall, mergeSteps, StepTimer } from '../../../scripts/bench/timing.js';

describe('bench: options', () => {
  it('defaults to 100 nodes x 8 interfaces with both apply modes and the baseline', () => {
    const o = parseBenchArgs([]);
    expect(o).to.deep.equal(DEFAULT_OPTIONS);
  });

  it('parses sizes, lists and switches', () => {
    const o = parseBenchArgs(['--nodes', '1000', '--interfaces', '10', '--trickle-rate', '200', '--skip-baseline', '--modes', 'noop', '--scan-nodes', '10,1000']);
    expect(o).to.include({ nodes: 1000, interfaces: 10, trickleRate: 200, skipBaseline: true });
    if (o === 'help') throw new Error('unexpected help');
    expect(o.modes).to.deep.equal(['noop']);
    expect(o.scanNodes).to.deep.equal([10, 1000]);
  });

  it('refuses sizes beyond 1000 x 10, unknown flags and unknown modes, naming the flag', () => {
    expect(() => parseBenchArgs(['--nodes', '1001'])).to.throw(/--nodes/);
    expect(() => parseBenchArgs(['--interfaces', '11'])).to.throw(/--interfaces/);
    expect(() => parseBenchArgs(['--nodes', '1e3'])).to.throw(/--nodes/);
    expect(() => parseBenchArgs(['--modes', 'noop,apply'])).to.throw(/--modes.*apply/);
    expect(() => parseBenchArgs(['--fast'])).to.throw(/unknown flag "--fast"/);
  });

  it('--quick shrinks the sizes but lets later flags win', () => {
    const o = parseBenchArgs(['--quick', '--nodes', '20']);
    expect(o).to.include({ nodes: 20, interfaces: 4, label: 'quick' });
  });

  it('sizes the lab phase (real NICs) and refuses what it cannot do, naming the flag', () => {
    expect(parseBenchArgs([])).to.include({ labSingles: 8, labNodes: 10, skipLab: false, labOnly: false });
    expect(parseBenchArgs(['--quick'])).to.include({ labSingles: 3, labNodes: 3 });
    expect(parseBenchArgs(['--lab-only', '--lab-nodes', '2', '--lab-singles', '0'])).to.include({ labOnly: true, labNodes: 2, labSingles: 0 });
    expect(() => parseBenchArgs(['--lab-singles', '9'])).to.throw(/--lab-singles/);
    expect(() => parseBenchArgs(['--lab-nodes', '0'])).to.throw(/--lab-nodes/);
    expect(() => parseBenchArgs(['--skip-lab', '--lab-only'])).to.throw(/--skip-lab and --lab-only/);
  });

  it('never spreads agents over more processes than nodes', () => {
    expect(parseBenchArgs(['--nodes', '2'])).to.include({ agentProcesses: 2 });
  });
});

describe('bench: fixture', () => {
  it('gives every (node, slot) its own MAC and an address inside its subnet', () => {
    const macs = new Set<string>();
    for (let n = 0; n < 1000; n++) for (let j = 0; j < 10; j++) macs.add(mac(n, j));
    expect(macs.size).to.equal(10_000);
    expect(address(999, 9, 9)).to.match(/^10\.109\.\d+\.\d+$/);
    expect(cidr(9)).to.equal('10.109.0.0/16');
    expect(address(5, 0, 1)).to.not.equal(address(5, 0, 0));
  });

  it('splits node ranges evenly and completely', () => {
    expect(splitRange(0, 10, 4)).to.deep.equal([[0, 3], [3, 6], [6, 8], [8, 10]]);
    expect(splitRange(0, 2, 4)).to.deep.equal([[0, 1], [1, 2]]);
  });
});

describe('bench: statistics', () => {
  it('reads percentiles from the histogram', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(s).to.include({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('answers zeros for no samples and null for a ratio against zero', () => {
    expect(summarize([])).to.include({ count: 0, p99: 0 });
    expect(ratio(5, 0)).to.equal(null);
    expect(ratio(100, 1)).to.equal(100);
    expect(ratio(3, 2)).to.equal(1.5);
  });

  it('counts select, update and other statements per second', () => {
    const after = { ...ZERO_COUNTERS, select: 20, update: 5, other: 5 };
    expect(queriesPerSecond(ZERO_COUNTERS, after, 10_000)).to.equal(3);
  });

  it('aligns a table', () => {
    expect(formatTable(['a', 'bb'], [['xyz', '1']]).split('\n')).to.deep.equal(['a    bb', '---  --', 'xyz   1']);
  });

  it('times wrapped methods and merges step tables', async () => {
    const t = new StepTimer();
    const o = t.wrap('s', { async f(x: number) { return x + 1; } }, ['f']);
    expect(await o.f(1)).to.equal(2);
    expect(t.steps['s.f']?.count).to.equal(1);
    const merged = mergeSteps({ 's.f': { count: 1, totalMs: 10 } }, { 's.f': { count: 3, totalMs: 30 } });
    expect(meanPerCall(merged)).to.deep.equal({ 's.f': { count: 4, meanMs: 10 } });
  });
});
