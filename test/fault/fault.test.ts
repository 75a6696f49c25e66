import { expect } from 'chai';
import amqplib from 'amqplib';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QueryTypes } from 'sequelize';
import { listBackups } from '../../src/host/backup.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { printTable } from '../hostile/table.js';
import { buildFleet, FOREIGN_FILE, insertPorts, readAudit, type Fleet, type FleetNode, type Port } from './fleet.js';
import { NamingWatch } from './invariants.js';
import { configuredCount, drainDeadLetters, duplicateApplies } from './outcome.js';

const run = promisify(execFile);
const NODES = 20;
const PER_NODE = 15;
const BACKUP_KEEP = 5;

interface Phase {
  name: string;
  /** Runs while the phase's rows are being served. */
  inject(f: Fleet, ports: Port[]): Promise<void>;
  /** Dead letters this phase is expected to produce (the reason), e.g. the rolled-back applies. */
  expectedDead?: RegExp;
}

/** Closes the AMQP connections of every agent and publisher (not the suite's own). */
const closeRoleConnections = (f: Fleet) => f.vhost.closeConnections((c) => !!c.connectionName?.startsWith('multinic-'));

/** This process and its ancestors (npx, mocha's parent that re-spawned node with tsx, the shell). */
async function ancestors(): Promise<Set<string>> {
  const out = new Set<string>();
  for (let pid = String(process.pid); pid !== '0' && !out.has(pid); ) {
    out.add(pid);
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    pid = /^PPid:\s+(\d+)/m.exec(status)?.[1] ?? '0';
  }
  return out;
}

/** Other engineers' mocha runs on this machine (the broker restart disturbs them). */
async function foreignMocha(): Promise<string[]> {
  const { stdout } = await run('pgrep', ['-fa', 'mocha']).catch(() => ({ stdout: '' }));
  const mine = await ancestors();
  return stdout.split('\n').filter((l) => l && !mine.has(l.split(' ')[0]!) && !l.includes('pgrep'));
}

let crashed: FleetNode | undefined;
let brokerRestart = 'rabbitmqctl stop_app / start_app';

const PHASES: Phase[] = [
  { name: 'none (baseline)', inject: async () => undefined },
  {
    name: "agents' + publishers' broker connections closed (x2)",
    inject: async (f) => {
      await sleep(300);
      await closeRoleConnections(f);
      await sleep(1_200);
      await closeRoleConnections(f);
    },
  },
  {
    name: 'database connections killed (x3)',
    inject: async (f) => {
      for (const ms of [200, 600, 800]) {
        await sleep(ms);
        await f.t.killConnections();
      }
    },
  },
  {
    name: 'Kubernetes API: 40x 500, 20x 409, 4x timeout',
    inject: async (f) => {
      f.kube.failNext(40, 500);
      f.kube.failNext(20, 409);
      f.kube.failNext(4, 'timeout');
    },
  },
  {
    name: 'apply fails once for 10 ports (rollback)',
    expectedDead: /rolled back/,
    inject: async (f, ports) => {
      for (const p of ports.slice(0, 10)) await writeFile(join(p.node.stateDir, `fail-${p.mac.replaceAll(':', '-')}`), '');
    },
  },
  {
    name: 'agent SIGKILLed mid-event + restarted; active publisher SIGKILLed (failover)',
    inject: async (f, ports) => {
      const victim = ports[0]!.node;
      crashed = victim;
      const mine = new Set(ports.filter((p) => p.node === victim).map((p) => p.portId));
      await waitFor('the victim applying this phase', async () => (await readAudit(victim)).some((l) => l.port && mine.has(l.port)), { timeoutMs: 30_000, intervalMs: 10 });
      await victim.agent.kill('SIGKILL');
      const active = f.publishers.find((p) => p.running && /became active/.test(p.output));
      await active?.kill('SIGKILL');
      await sleep(500);
      victim.agent.start();
    },
  },
  {
    name: 'combined: connections closed + DB killed + Kubernetes 500/timeout',
    inject: async (f) => {
      f.kube.failNext(20, 500);
      f.kube.failNext(2, 'timeout');
      await sleep(300);
      await Promise.all([closeRoleConnections(f), f.t.killConnections()]);
      await sleep(1_000);
      await f.t.killConnections();
    },
  },
];

/**
 * The fault-injection suite: NODES agents and two publishers as real processes (per-node
 * RabbitMQ users, least-privilege DB users, sandbox roots, the apply-audit stand-in),
 * NODES x PER_NODE interfaces inserted in phases, one fault (or several) per phase, and a
 * last phase of address changes across a broker stop_app/start_app. See RELIABILITY.md.
 */
describe('fault injection: no interface lost, none applied twice, nothing valid dead-lettered', function () {
  this.timeout(400_000);
  let f: Fleet;
  let watch: NamingWatch;
  const table: Array<Array<string | number>> = [];
  const phaseOf = new Map<string, string>();

  const success = (ports: Port[]) => configuredCount(f.t, ports);
  const drainDead = () => drainDeadLetters(f.vhost.url);
  const duplicates = (ports: Port[]) => duplicateApplies(f.nodes, ports, crashed);

  async function runPhase(name: string, ports: Port[], inject: () => Promise<void>, expectedDead?: RegExp): Promise<void> {
    for (const p of ports) phaseOf.set(p.portId, name);
    const injected = inject();
    await injected;
    const done = await waitFor(`all ${ports.length} rows of "${name}" configured`, async () => (await success(ports)) === ports.length, { timeoutMs: 90_000, intervalMs: 250 }).catch(async () => false);
    const configured = await success(ports);
    const dead = await drainDead();
    const unexpected = dead.filter((d) => !(expectedDead?.test(d.reason)) && !d.id.startsWith('invalid-'));
    const { dup, afterCrash } = await duplicates(ports);
    table.push([name, ports.length, ports.length - configured, `${dup}${afterCrash ? ` (+${afterCrash} after the crash)` : ''}`, `${dead.length}${dead.length ? `: ${[...new Set(dead.map((d) => d.reason.slice(0, 40)))].join('; ')}` : ''}`]);
    expect(done, `rows configured in "${name}": ${configured}/${ports.length}`).to.equal(true);
    expect(unexpected, `valid events dead-lettered in "${name}"`).to.deep.equal([]);
    expect(dup, `duplicate applies in "${name}"`).to.equal(0);
  }

  before(async function () {
    f = await buildFleet({ nodes: NODES, perNode: PER_NODE });
    watch = new NamingWatch(f.nodes, f.kube);
  });

  after(async function () {
    printTable(`fault injection: ${NODES} nodes x ${PER_NODE} interfaces, agents and publishers as processes`, ['fault', 'interfaces', 'lost', 'duplicates applied', 'dead-lettered'], table, 110);
    await watch?.stop().catch(() => undefined);
    await f?.cleanup();
  });

  it('least privilege: agents as per-node users wait (503) until the publisher has declared the exchanges, then serve', async () => {
    for (const n of f.nodes) n.agent.start();
    const first = f.nodes[0]!.agent;
    await waitFor('the agent saying the exchanges do not exist yet', () => /shared exchanges do not exist yet/.test(first.output), { timeoutMs: 120_000 });
    expect(await first.readyz()).to.equal(503);
    // A refusal reads "403 (ACCESS-REFUSED) ... ACCESS_REFUSED - ..."; a bare "403" also
    // occurs inside ports, pids and timestamps of ordinary log lines.
    expect(first.output).to.not.match(/ACCESS[_-]REFUSED|\b403 \(/);
    for (const p of f.publishers) p.start();
    for (const n of f.nodes) await n.agent.waitReady(180_000);
    // The management API lists a connection a moment after it opens.
    const conns = await waitFor('every agent connection listed by the management API', async () => {
      const listed = await f.vhost.management.listConnections(f.vhost.vhost);
      return f.nodes.every((n) => listed.some((c) => c.client_properties?.connection_name === `multinic-agent ${n.name}`)) ? listed : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    for (const n of f.nodes) {
      expect(conns.find((c) => c.client_properties?.connection_name === `multinic-agent ${n.name}`)?.user, n.name).to.equal(`multinic-node-${n.name}`);
    }
    watch.start();
  });

  for (const [k, phase] of PHASES.entries()) {
    it(`fault: ${phase.name}`, async () => {
      const ports = f.ports.filter((p) => Math.floor((p.global * PHASES.length) / f.ports.length) === k);
      if (k === 0) {
        // Two invalid events of our own: the only dead letters a fault-free run may show.
        const conn = await amqplib.connect(f.vhost.url);
        const ch = await conn.createConfirmChannel();
        for (const id of ['invalid-1', 'invalid-2']) ch.publish('multinic.events', f.nodes[1]!.name, Buffer.from('{"not":"an event"}'), { messageId: id });
        await ch.waitForConfirms();
        await conn.close();
      }
      await insertPorts(f.t, ports);
      await runPhase(phase.name, ports, () => phase.inject(f, ports), phase.expectedDead);
    });
  }

  it(`fault: broker stopped and started during 40 address changes (run last)`, async () => {
    const changed = f.ports.slice(0, 40);
    for (let waited = 0; (await foreignMocha()).length && waited < 90_000; waited += 5_000) await sleep(5_000);
    const others = await foreignMocha();
    await f.t.sequelize.query("UPDATE multi_interface SET address = CONCAT('172.20.2.', 10 + id % 200), modified_at = NOW(3), netplan_success = 0 WHERE port_id IN (?)", { replacements: [changed.map((p) => p.portId)] });
    await runPhase(others.length ? 'broker: connections closed (stop_app skipped: other tests running)' : 'broker stop_app + start_app (address changes)', changed, async () => {
      if (others.length) {
        brokerRestart = `not run: ${others.length} other mocha process(es) on the machine`;
        await closeRoleConnections(f);
        return;
      }
      await run('rabbitmqctl', ['stop_app']);
      await sleep(3_000);
      await run('rabbitmqctl', ['start_app']);
    });
    process.stdout.write(`      broker restart: ${brokerRestart}\n`);
  });

  it('at the end: every Node annotation is exactly its rows; names stable; foreign files, backups and logs clean', async () => {
    const rows = await f.t.sequelize.query<{ port_id: string; node: string; s: number }>('SELECT port_id, attached_node_name AS node, netplan_success AS s FROM multi_interface', { type: QueryTypes.SELECT });
    expect(rows).to.have.length(NODES * PER_NODE);
    expect(rows.filter((r) => Number(r.s) !== 1).map((r) => r.port_id)).to.deep.equal([]);
    for (const n of f.nodes) {
      const want = rows.filter((r) => r.node === n.name).map((r) => r.port_id).sort();
      await waitFor(`${n.name}: annotation = its rows, ready`, () => {
        const node = f.kube.node(n.name)!;
        const got = (JSON.parse(node.metadata.annotations['multinic.io/interfaces'] ?? '[]') as Array<{ portId: string }>).map((i) => i.portId).sort();
        return JSON.stringify(got) === JSON.stringify(want) && node.metadata.labels['multinic.io/ready'] === 'true';
      }, { timeoutMs: 30_000 });
      expect(await readFile(join(n.netplanDir, FOREIGN_FILE.name), 'utf8'), `${n.name} foreign file`).to.equal(FOREIGN_FILE.content);
      expect((await listBackups(join(n.root, 'backups'))).length, `${n.name} backups`).to.be.at.most(BACKUP_KEEP);
      expect((await readdir(n.netplanDir)).filter((x) => x.startsWith('90-multinic-'))).to.have.length(PER_NODE);
    }
    await watch.stop();
    expect(watch.violations, 'a MAC with two names or a name with two MACs').to.deep.equal([]);
    expect(watch.samples).to.be.greaterThan(10);
    const logs = [...f.nodes.map((n) => n.agent.output), ...f.publishers.map((p) => p.output)].join('\n');
    expect(logs.length).to.be.greaterThan(10_000);
    for (const secret of f.secrets) expect(logs.includes(secret), 'a password in the logs').to.equal(false);
    table.push(['(whole run) naming samples / secrets grepped', NODES * PER_NODE, 0, `${watch.samples} samples, 0 conflicts`, `${f.secrets.length} passwords, 0 found in ${Math.round(logs.length / 1024)} kB of logs`]);
  });
});
