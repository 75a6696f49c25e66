import { expect } from 'chai';
import { buildProbes, probesAfter, probesBefore, ProbeFailedError, type Probe, type ProbeRunOptions } from '../../../src/host/probes.js';
import type { CommandRunner } from '../../../src/host/command.js';
import type { Kernel, KernelRoute } from '../../../src/host/kernel.js';
import { createRingLogger } from '../../../src/log/logger.js';

/** A Kernel whose read answers `routes()` now (no links). */
const kernelOf = (routes: () => KernelRoute[]): Kernel => ({ read: async () => ({ links: [], routes: routes() }), deleteAddress: async () => undefined, rename: async () => undefined, up: async () => undefined });

/** A clock that moves only when the gate sleeps or a probe takes time: no real waiting. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => void (t += ms) };
}

function options(c: ReturnType<typeof clock>, seen: string[] = []): ProbeRunOptions {
  return { timeoutMs: 1000, sleep: c.sleep, now: c.now, log: createRingLogger().log, observer: { result: (e) => seen.push(`${e.kind}:${e.phase}:${e.ok}`) } };
}

const probe = (name: string, answers: boolean[]): Probe => ({ kind: 'gateway', name, check: async () => answers.shift() ?? answers.at(-1) ?? false });

describe('probe gate (host/probes)', () => {
  it('only probes that passed before the change gate it', async () => {
    const c = clock();
    const seen: string[] = [];
    const passed = await probesBefore([probe('gateway a', [true]), probe('gateway b', [false])], options(c, seen));
    expect(passed.map((p) => p.name)).to.deep.equal(['gateway a']);
    expect(seen).to.deep.equal(['gateway:before:true', 'gateway:before:false']);
  });

  it('waits for a probe to pass again (a blink during apply) within the timeout', async () => {
    const c = clock();
    await probesAfter([probe('gateway a', [false, false, true])], options(c));
    expect(c.now()).to.equal(400);
  });

  it('fails naming the probe once the timeout is over', async () => {
    const c = clock();
    const err = await probesAfter([probe('gateway 10.0.0.1', [false])], options(c)).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ProbeFailedError);
    expect((err as Error).message).to.equal('after apply, probe gateway 10.0.0.1 failed for 1000 ms though it passed before (AGENT_PROBE_TIMEOUT)');
    expect(c.now()).to.be.within(1000, 1200);
  });

  it('builds gateway pings and the API-server TCP connect as argv after the host-namespace prefix, and compares routes', async () => {
    const runs: string[][] = [];
    let routes: KernelRoute[] = [
      { family: 4, dst: 'default', dev: 'ens3', gateway: '10.0.0.1' },
      { family: 6, dst: 'default', dev: 'ens3', gateway: 'fd00::1' },
      { family: 4, dst: '10.0.0.0/24', dev: 'ens3', protocol: 'kernel' },
      { family: 4, dst: '10.20.0.0/24', dev: 'multinic0', protocol: 'kernel' },
    ];
    const run: CommandRunner = async (argv) => {
      runs.push([...argv]);
      return { stdout: '', stderr: '', durationMs: 1 };
    };
    const probes = buildProbes(
      { kinds: ['gateway', 'api-server', 'routes'], kernel: kernelOf(() => routes), prefix: ['nsenter', '--target', '1', '--net', '--'], apiServer: { host: '10.96.0.1', port: 443 }, run, log: createRingLogger().log },
      ['multinic0'],
      routes,
    );
    expect(probes.map((p) => p.name)).to.deep.equal(['gateway 10.0.0.1', 'gateway fd00::1', 'api-server 10.96.0.1:443', 'routes of other interfaces (3)']);
    for (const p of probes) expect(await p.check()).to.equal(true);
    expect(runs[0]).to.deep.equal(['nsenter', '--target', '1', '--net', '--', 'ping', '-4', '-n', '-q', '-c', '1', '-W', '1', '10.0.0.1']);
    expect(runs[1]!.slice(5, 7)).to.deep.equal(['ping', '-6']);
    expect(runs[2]!.slice(0, 5)).to.deep.equal(['nsenter', '--target', '1', '--net', '--']);
    expect(runs[2]!.slice(-3)).to.deep.equal(['10.96.0.1', '443', '1000']);
    // MultiNIC's own routes may change; another interface's may not.
    routes = routes.filter((r) => r.dev !== 'multinic0');
    expect(await probes[3]!.check()).to.equal(true);
    routes = routes.filter((r) => r.dst !== '10.0.0.0/24');
    expect(await probes[3]!.check()).to.equal(false);
  });

  it('without a prefix the API-server probe connects in process (the agent is in the host namespace already)', async () => {
    const { createServer } = await import('node:net');
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const kernel = kernelOf(() => []);
    const run: CommandRunner = async () => { throw new Error('no child process expected'); };
    try {
      const [open] = buildProbes({ kinds: ['api-server'], kernel, prefix: [], apiServer: { host: '127.0.0.1', port }, run, log: createRingLogger().log }, [], []);
      expect(await open!.check()).to.equal(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const [closed] = buildProbes({ kinds: ['api-server'], kernel, prefix: [], apiServer: { host: '127.0.0.1', port }, run, log: createRingLogger().log }, [], []);
    expect(await closed!.check()).to.equal(false);
  });

  it('a probe whose command fails does not pass', async () => {
    const run: CommandRunner = async () => { throw new Error('exit 1'); };
    const gw: KernelRoute[] = [{ family: 4, dst: 'default', gateway: '10.0.0.1', dev: 'ens3' }];
    const [p] = buildProbes({ kinds: ['gateway'], kernel: kernelOf(() => gw), prefix: [], run, log: createRingLogger().log }, [], gw);
    expect(await p!.check()).to.equal(false);
  });
});
