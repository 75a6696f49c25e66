import { expect } from 'chai';
import amqplib from 'amqplib';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { migrate, seed } from '../../src/db/index.js';
import { DeadLetterHeader } from '../../src/runtime/dead-letter.js';
import { SandboxAgent, type SandboxEnv } from '../e2e/harness.js';
import { start as startKube, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../helpers/rabbitmq.js';
import { waitFor } from '../helpers/wait.js';
import { ACCEPTED_LABEL, EVENT_CASES, GOOD_MAC, metaCases, NODE, OTHER_NODE, validEvent, type EventCase } from './event-cases.js';
import { printTable } from './table.js';


const encode = (b: unknown): Buffer => (Buffer.isBuffer(b) ? b : typeof b === 'string' ? Buffer.from(b) : Buffer.from(JSON.stringify(b)));

/** The sysfs tree as text (names and attributes), to prove nothing on the host moved. */
async function snapshotTree(root: string): Promise<string> {
  const out: string[] = [];
  for (const nic of (await readdir(root)).sort()) {
    for (const attr of ['address', 'operstate', 'mtu']) out.push(`${nic}/${attr}=${(await readFile(join(root, nic, attr), 'utf8')).trim()}`);
  }
  return out.join('\n');
}

/**
 * The hostile event corpus (test/hostile/event-cases.ts) through the REAL queue trigger and
 * agent (in process, sandbox root, real RabbitMQ, MariaDB and netplan generate): every case
 * lands in multinic.dead with an x-multinic-error naming the problem, nothing is written to
 * the host (netplan dir and sysfs unchanged, no apply ran), and the next valid event is served.
 */
describe('hostile events: every malformed message is dead-lettered with its reason and touches nothing', function () {
  this.timeout(120_000);
  let t: TestDatabase;
  let vhost: TestVhost;
  let kube: FakeKubeApi;
  let agent: SandboxAgent;
  let amqp: amqplib.ChannelModel;
  let ch: amqplib.ConfirmChannel;
  const cases: EventCase[] = [...EVENT_CASES, ...metaCases()];
  const results: Array<[string, string, string]> = [];

  before(async () => {
    t = await createTestDatabase('mnhostile');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    // The node is known but has no rows: the start-up resync has nothing to do, so every
    // apply and file can only come from an event.
    await t.sequelize.query('DELETE FROM multi_interface');
    vhost = await createTestVhost('mnhostile');
    kube = await startKube({ nodes: [NODE, OTHER_NODE] });
    const env: SandboxEnv = { db: t.db, amqpUrl: vhost.url, kubeconfigPath: kube.kubeconfigPath };
    agent = await SandboxAgent.start(NODE, env, [{ name: 'ens9', mac: GOOD_MAC }]);
    // A check answers { ok, detail } (an object is always truthy): wait for `ok` itself.
    await waitFor('the agent consuming', async () => {
      const r = await agent.agent.readiness.find((c) => c.name === 'amqp')!.check();
      return typeof r === 'boolean' ? r : r.ok;
    });
    amqp = await amqplib.connect(vhost.url);
    ch = await amqp.createConfirmChannel();
  });

  after(async () => {
    printTable(`hostile events (${results.length} cases): each dead-lettered, nothing applied`, ['case', 'outcome', 'x-multinic-error'], results, 90);
    await amqp?.close().catch(() => undefined);
    await agent?.stop();
    await kube?.close().catch(() => undefined);
    await vhost?.delete().catch(() => undefined);
    await t?.drop();
  });

  it(`has at least 40 cases (${cases.length})`, () => {
    expect(cases.length).to.be.at.least(40);
    expect(new Set(cases.map((c) => c.name)).size).to.equal(cases.length);
  });

  it('dead-letters each case with a reason naming the problem; no file, no apply, no NIC touched', async () => {
    const treeBefore = await snapshotTree(agent.sysfs.root);
    const ids = cases.map((_, k) => `hostile-${k}`);
    for (const [k, c] of cases.entries()) {
      ch.publish('multinic.events', NODE, encode(c.body(ids[k]!)), { contentType: 'application/cloudevents+json', messageId: ids[k] });
    }
    await ch.waitForConfirms();
    const reasons = new Map<string, string>();
    await waitFor(`${cases.length} dead letters`, async () => {
      for (let m = await ch.get('multinic.dead', { noAck: true }); m; m = await ch.get('multinic.dead', { noAck: true })) {
        reasons.set(String(m.properties.messageId), String(m.properties.headers?.[DeadLetterHeader.Error] ?? ''));
      }
      return reasons.size >= cases.length;
    }, { timeoutMs: 60_000 });
    const wrong: string[] = [];
    for (const [k, c] of cases.entries()) {
      const reason = reasons.get(ids[k]!);
      const ok = reason !== undefined && c.reason.test(reason);
      results.push([c.name, ok ? 'dead-lettered' : 'WRONG', reason ?? '(not dead-lettered)']);
      if (!ok) wrong.push(`${c.name}: ${reason ?? 'not dead-lettered'} (expected ${c.reason})`);
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
    expect(reasons.size, 'nothing else was dead-lettered').to.equal(cases.length);
    expect(agent.applies, 'apply invocations').to.equal(0);
    expect(await agent.files(), 'netplan dir').to.deep.equal([]);
    expect(await snapshotTree(agent.sysfs.root), 'sysfs tree').to.equal(treeBefore);
    expect(kube.node(NODE)?.metadata.annotations['multinic.io/interfaces'] ?? '[]').to.equal('[]');
  });

  it('then serves the next valid event (a free-text subnetName with YAML/shell characters stays inert)', async () => {
    const event = validEvent('valid-after-hostile', { subnetName: ACCEPTED_LABEL });
    ch.publish('multinic.events', NODE, encode(event), { contentType: 'application/cloudevents+json', messageId: 'valid-after-hostile' });
    await ch.waitForConfirms();
    await waitFor('the valid event applied', async () => (await agent.files()).some((f) => f.content.includes(GOOD_MAC)), { timeoutMs: 20_000 });
    const files = await agent.files();
    expect(files).to.have.length(1);
    expect(files[0]!.content).to.not.include('reboot');
    const doc = parseYaml(files[0]!.content) as { network: { ethernets: Record<string, Record<string, unknown>> } };
    expect(Object.keys(doc.network.ethernets)).to.deep.equal(['multinic0']);
    expect(Object.keys(doc.network.ethernets.multinic0!).sort()).to.deep.equal(['accept-ra', 'addresses', 'match', 'optional', 'set-name']);
    expect(await agent.generate()).to.include('192.168.50.10/24');
    expect(agent.applies).to.equal(1);
    expect(await ch.get('multinic.dead', { noAck: true }), 'the valid event was not dead-lettered').to.equal(false);
    results.push(['valid event after the corpus (subnetName with YAML/shell/unicode)', 'applied once', '-']);
  });
});
