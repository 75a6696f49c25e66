import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RolledBackError } from '../../../src/errors/errors.js';
import { Lab, cidrsOf, type LabNode } from '../index.js';
import { labHost, port, rejection, snapshot } from './host.js';

/**
 * Issue 11 point 3 in a lab node: an apply that cuts the node off from the Kubernetes API
 * server is rolled back within the probe timeout (real netplan apply, real ping and TCP in the
 * node), one that cuts it off from its default gateway by capturing its connected route is
 * rolled back at once by the kernel verification, and the kernel shows the node reaching both
 * again. The overlap refusal is switched off (AGENT_ALLOW_OVERLAP) so that such an apply
 * happens at all: the route check and the probes are the lines of defence behind it.
 */
describe('lab: probe-gated apply (issue 11)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let node: LabNode;
  let apiServer: ChildProcess | undefined;
  const API = { host: '10.40.0.5', port: 6443 };
  const TIMEOUT_MS = 3000;

  before(async () => {
    lab = await Lab.start({ tag: 'sf' });
    node = await lab.addNode({ name: 'worker-1' });
    // The "API server": a TCP listener on the switch, reached through the node's default gateway.
    await lab.switch.addAddress(`${API.host}/32`, 'primary');
    // As a cloud's router does (and port security enforces), the switch answers ARP for an address
    // only on the segment that has it; Linux's default (arp_ignore=0) would answer for the gateway on
    // the data segment too and hide the cut-off. Set in the switch's own namespace only.
    await lab.switch.sysctl('net.ipv4.conf.all.arp_ignore', '1');
    apiServer = spawn('ip', ['netns', 'exec', lab.switch.netns, process.execPath, '-e',
      `require('net').createServer((s) => s.end()).listen(${API.port}, '${API.host}', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: apiServer!.stdout! }).once('line', () => resolve());
      apiServer!.once('exit', (code) => reject(new Error(`API server stand-in exited ${code}`)));
    });
  });
  after(async () => {
    apiServer?.kill('SIGKILL');
    await lab?.stop();
  });

  /** The kernel's answer for where traffic to `address` leaves the node. */
  async function routeTo(address: string): Promise<string | undefined> {
    const { stdout } = await node.exec(['ip', '-j', 'route', 'get', address]);
    return (JSON.parse(stdout) as Array<{ dev?: string }>)[0]?.dev;
  }

  /**
   * `byProbe`: only the probe can see the cut-off (the API server is reached by the default
   * route, which the new connected route overrides). The gateway's cut-off is a captured
   * connected route: the kernel verification's route check rolls it back at once, before any
   * probe runs after the apply (the overlap refusal, switched off here, would have refused it).
   */
  const cases = [
    { what: 'the default gateway', cidr: '10.0.0.0/28', address: '10.0.0.2', probes: ['gateway', 'routes'] as const, byProbe: false, reason: /route 10\.0\.0\.0\/28 dev multinic\d+ takes traffic for 10\.0\.0\.0\/28 that went by 10\.0\.0\.0\/24 dev ens3/, target: '10.0.0.1' },
    { what: 'the API server', cidr: '10.40.0.0/24', address: '10.40.0.9', probes: ['api-server', 'routes'] as const, byProbe: true, reason: /probe api-server 10\.40\.0\.5:6443 failed/, target: API.host },
  ];

  for (const c of cases) {
    it(`rolls back an apply that cuts off ${c.what} ${c.byProbe ? 'within the probe timeout, naming the probe' : 'at once, by the route check, before the probes'}; the kernel routes to it by ens3 again`, async () => {
      const seen: string[] = [];
      // The plain netplan apply, as these cases were measured: the primary blinks and must come back within the timeout.
      const h = await labHost(node, { allowOverlap: true, probes: [...c.probes], probeTimeoutMs: TIMEOUT_MS, apiServer: API, applyMethod: 'apply', onProbe: (e) => seen.push(`${e.kind} ${e.phase} ${e.ok ? 'pass' : 'fail'}`) });
      const mac = `fa:16:3e:9b:00:0${cases.indexOf(c) + 1}`;
      await node.plug({ mac });
      try {
        expect(await routeTo(c.target)).to.equal('ens3');
        const files = await snapshot(node.netplanDir);
        const started = Date.now();
        const err = await rejection(h.host.configure(port(mac, c.cidr, c.address), '/multinic/publisher'));
        const ms = Date.now() - started;
        const at = (msg: string) => (h.records().find((r) => r.msg === msg)?.time as Date | undefined)?.getTime() ?? NaN;
        const brokenFor = at('netplan change failed; restoring the previous MultiNIC files') - at('netplan applied');
        expect(err).to.be.instanceOf(RolledBackError);
        expect(err.message).to.match(/^rolled back/);
        expect(err.message).to.match(c.reason);
        expect(seen).to.include(`${c.probes[0]} before pass`);
        if (c.byProbe) {
          // From the end of the apply to the start of the rollback: the probe timeout, plus at most one
          // probe attempt (1 s) that began before it ran out, and the NIC check; room for a loaded machine.
          expect(brokenFor, `rollback began ${brokenFor} ms after the apply`).to.be.within(TIMEOUT_MS, TIMEOUT_MS + 2500);
          expect(seen).to.include(`${c.probes[0]} after fail`);
        } else {
          expect(brokenFor, `rollback began ${brokenFor} ms after the apply`).to.be.below(TIMEOUT_MS);
          expect(seen.filter((x) => x.includes(' after '))).to.deep.equal([]);
        }
        expect(await snapshot(node.netplanDir)).to.deep.equal(files);
        const nic = await node.linkByMac(mac);
        expect(cidrsOf(await node.addrOf(nic!.ifname))).to.deep.equal([]);
        expect(await routeTo(c.target)).to.equal('ens3');
        expect(await node.ping('10.0.0.1')).to.equal(true);
        expect((await node.routes()).filter((r) => r.dst === 'default').map((r) => r.dev)).to.deep.equal(['ens3']);
        console.log(`      rollback began ${brokenFor} ms after the apply ended; configure rejected after ${ms} ms in all (probe timeout ${TIMEOUT_MS} ms)`);
      } finally {
        await node.unplug(mac);
        await h.close();
      }
    });
  }

  it('lets an apply through when every probe passes again (the primary blinks on each netplan apply and comes back)', async () => {
    const h = await labHost(node, { probes: ['gateway', 'api-server', 'routes'], probeTimeoutMs: TIMEOUT_MS, apiServer: API, applyMethod: 'apply' });
    await lab.switch.addAddress('10.20.0.1/24');
    await node.plug({ mac: 'fa:16:3e:9b:01:01' });
    try {
      const r = await h.host.configure(port('fa:16:3e:9b:01:01', '10.20.0.0/24', '10.20.0.11'), '/multinic/publisher');
      expect(cidrsOf(await node.addrOf(r.name))).to.deep.equal(['10.20.0.11/24']);
      expect(h.records().some((rec) => rec.msg === 'probes pass after the change')).to.equal(true);
    } finally {
      await h.close();
    }
  });
});
