import { expect } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeQueueName } from '../../src/amqp/topology.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { printTable } from '../hostile/table.js';
import { buildFleet, insertPorts, ownedPairs, readAudit, type Fleet, type Port } from './fleet.js';
import { configuredCount, drainDeadLetters, duplicateApplies } from './outcome.js';
import type { RoleProcess } from './processes.js';
import { CLUSTER_NODES, rabbitCluster, type ClusterNode } from './rabbit-cluster.js';

const NODES = 6;
const PER_NODE = 24;
const WAVES = 8;
const WAVE_GAP_MS = 400;
/** How long the stopped node stays away before it is brought back. */
const AWAY_MS = 4_000;

interface Fault {
  name: string;
  /** Takes node `n` away; resolves when the command returned. Absent: a burst without a fault, for comparison. */
  stop?(n: ClusterNode): Promise<unknown>;
}

const FAULTS: Fault[] = [
  { name: 'none (baseline burst)' },
  { name: 'kill -9', stop: (n) => rabbitCluster.script('kill', String(n)) },
  { name: 'rabbitmqctl stop_app', stop: (n) => rabbitCluster.script('stop-app', String(n)) },
];

/**
 * Samples every process's /readyz until stopped; `recoveredAfter(t)` is how long after
 * `t` the last process that was not ready became ready again (0 when none faltered).
 */
function watchReadiness(procs: RoleProcess[], intervalMs = 200) {
  const lastUnready = new Map<RoleProcess, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      await Promise.all(procs.map(async (p) => ((await p.readyz()) !== 200 ? lastUnready.set(p, at) : undefined)));
      await sleep(intervalMs);
    }
  })();
  return {
    async stop(since: number): Promise<{ recoveredMs: number; faltered: number }> {
      stopped = true;
      await loop;
      const after = [...lastUnready.values()].filter((at) => at >= since);
      return { recoveredMs: after.length ? Math.max(...after) + intervalMs - since : 0, faltered: after.length };
    },
  };
}

/**
 * The fault suite's cluster case (issue 13, point 7): a publisher and NODES agents as real
 * processes against a 3-node RabbitMQ cluster of this machine (scripts/rabbitmq/cluster.sh,
 * apart from the machine's broker), every AMQP_URL listing all three brokers. During a
 * burst of rows the node leading most node queues is stopped (kill -9, then stop_app) and
 * brought back; a first burst without a fault gives the figures to compare with. The
 * vhost carries the side-queue policy the README asks of cluster operators. Every interface must end configured (database, netplan files, sysfs), none
 * lost, none applied twice, nothing valid dead-lettered. Run alone:
 * `npx mocha test/fault/cluster.test.ts` (it starts the cluster when it is not up and
 * removes it afterwards; CI brings it up and down around the fault suite).
 */
describe('fault injection on a 3-node RabbitMQ cluster: the queue leader stopped mid-burst', function () {
  this.timeout(600_000);
  let f: Fleet;
  let startedHere = false;
  let clusterStart = 'already up';
  const table: Array<Array<string | number>> = [];

  before(async function () {
    if (!(await rabbitCluster.running())) {
      const t0 = Date.now();
      await rabbitCluster.script('up');
      startedHere = true;
      clusterStart = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    }
    expect(await rabbitCluster.running(), 'the test cluster (scripts/rabbitmq/cluster.sh check)').to.equal(true);
    // A long resync: an interface must come through the broker, not be healed by the agent's periodic reconcile.
    f = await buildFleet({ nodes: NODES, perNode: PER_NODE, publishers: 1, broker: rabbitCluster.access, agentEnv: { AGENT_RESYNC_INTERVAL: '30m' } });
    await rabbitCluster.mirrorSideQueues(f.vhost.vhost);
    for (const n of f.nodes) n.agent.start();
    f.publishers[0]!.start();
    for (const p of [...f.nodes.map((n) => n.agent), f.publishers[0]!]) await p.waitReady(180_000);
  });

  after(async function () {
    printTable(`RabbitMQ cluster: ${NODES} agents x ${PER_NODE} interfaces, 1 publisher, 3 brokers (cluster start: ${clusterStart})`,
      ['fault', 'interfaces', 'lost', 'duplicates applied', 'dead-lettered', 'all ready again after', 'burst done (from wave 2)', 'node back after'], table, 60);
    // MULTINIC_FAULT_LOG_DIR keeps every process's log of the run for a post-mortem.
    const keep = process.env.MULTINIC_FAULT_LOG_DIR;
    if (keep && f) for (const p of [...f.nodes.map((n) => n.agent), ...f.publishers]) await writeFile(join(keep, `${p.label.replace(/\W+/g, '-')}.log`), p.output);
    await f?.cleanup();
    if (startedHere) await rabbitCluster.script('down');
  });

  for (const [k, fault] of FAULTS.entries()) {
    it(`${fault.stop ? `${fault.name} of the node leading the node queues, mid-burst, then back` : fault.name}: nothing lost, nothing applied twice`, async () => {
      const ports = f.ports.filter((p) => Math.floor((p.global * FAULTS.length) / f.ports.length) === k);
      const queues = new Set(f.nodes.map((n) => nodeQueueName(n.name)));
      const leaders = [...(await rabbitCluster.leaders(f.vhost.vhost)).entries()].filter(([q]) => queues.has(q)).map(([, n]) => n);
      expect(leaders, 'a leader for every node queue').to.have.length(NODES);
      const victim = CLUSTER_NODES.reduce((best, n) => (leaders.filter((l) => l === n).length > leaders.filter((l) => l === best).length ? n : best));
      const waves = Array.from({ length: WAVES }, (_, w) => ports.filter((_, i) => i % WAVES === w));
      const readiness = watchReadiness([...f.nodes.map((n) => n.agent), f.publishers[0]!]);

      await insertPorts(f.t, waves[0]!);
      const mine = new Set(ports.map((p) => p.portId));
      await waitFor('the burst being applied', async () => (await Promise.all(f.nodes.map(readAudit))).flat().some((l) => l.port && mine.has(l.port)), { timeoutMs: 60_000, intervalMs: 20 });
      await insertPorts(f.t, waves[1]!);
      const faultAt = Date.now();
      const stopped = fault.stop?.(victim);
      for (const wave of waves.slice(2)) {
        await sleep(WAVE_GAP_MS);
        await insertPorts(f.t, wave);
      }
      await stopped;
      let back = '-';
      if (fault.stop) {
        await sleep(Math.max(0, faultAt + AWAY_MS - Date.now()));
        const backFrom = Date.now();
        await rabbitCluster.script('start', String(victim));
        back = `${((Date.now() - backFrom) / 1000).toFixed(1)} s`;
      }

      const done = await waitFor(`all ${ports.length} rows configured`, async () => (await configuredCount(f.t, ports)) === ports.length, { timeoutMs: 120_000, intervalMs: 100 }).catch(() => false);
      const doneMs = Date.now() - faultAt;
      const { recoveredMs, faltered } = await readiness.stop(faultAt);
      const configured = await configuredCount(f.t, ports);
      const dead = await drainDeadLetters(f.vhost.url);
      const { dup } = await duplicateApplies(f.nodes, ports);
      table.push([`${fault.stop ? `${fault.name} of node ${victim}` : fault.name} (node ${victim} led ${leaders.filter((l) => l === victim).length}/${NODES} queues)`, ports.length, ports.length - configured, dup, dead.length,
        `${(recoveredMs / 1000).toFixed(1)} s (${faltered} of ${NODES + 1} processes faltered)`, `${(doneMs / 1000).toFixed(1)} s`, back]);

      expect(done, `rows configured: ${configured}/${ports.length}`).to.not.equal(false);
      expect(dead, 'valid events dead-lettered').to.deep.equal([]);
      expect(dup, 'duplicate applies').to.equal(0);
      expect(await rabbitCluster.running(), 'the cluster whole again').to.equal(true);
      await expectHostsConfigured(f, ports);
    });
  }

  it('no password of the run reaches a log', () => {
    const logs = [...f.nodes.map((n) => n.agent.output), ...f.publishers.map((p) => p.output)].join('\n');
    expect(logs).to.match(/connected to RabbitMQ/);
    for (const secret of f.secrets) expect(logs.includes(secret), 'a password in the logs').to.equal(false);
  });
});

/** Each port's netplan file names its MAC, and the fake sysfs NIC of that MAC carries the file's name and is up. */
async function expectHostsConfigured(f: Fleet, ports: Port[]): Promise<void> {
  for (const node of f.nodes) {
    const files = await ownedPairs(node);
    for (const p of ports.filter((x) => x.node === node)) {
      const file = files.find((x) => x.portId === p.portId);
      expect(file, `${node.name}: netplan file of ${p.portId}`).to.not.equal(undefined);
      expect(file!.mac).to.equal(p.mac);
      expect((await readFile(join(node.sysfs.root, file!.name, 'address'), 'utf8')).trim(), `${node.name}/${file!.name} address`).to.equal(p.mac);
      expect((await readFile(join(node.sysfs.root, file!.name, 'operstate'), 'utf8')).trim(), `${node.name}/${file!.name} operstate`).to.equal('up');
    }
    expect((await readdir(node.sysfs.root)).length, `${node.name}: NICs in sysfs`).to.equal(PER_NODE);
  }
}
