import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { QueryTypes } from 'sequelize';
import { migrate, seed, SEED } from '../../src/db/index.js';
import { createRegistry } from '../../src/http/metrics.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { createRingLogger } from '../../src/log/logger.js';
import { startPublisher, type RunningPublisher } from '../../src/roots/publisher.js';
import { start as startKube, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { uniqueSuffix } from '../helpers/ids.js';
import { createTestDatabase, type TestDatabase } from '../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../helpers/rabbitmq.js';
import { waitFor } from '../helpers/wait.js';
import { configFrom, SandboxAgent, type SandboxEnv } from './harness.js';

const MON = new URL('../../deploy/monitoring/', import.meta.url);
/** Every metric name the alert rules and the dashboard select on (identifiers right before `{`), minus Prometheus's and kube-state-metrics'. */
const expected = [readFileSync(new URL('prometheus-rule.yaml', MON), 'utf8'), readFileSync(new URL('grafana-dashboard.json', MON), 'utf8')]
  .flatMap((text) => [...text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!))
  .filter((n) => n !== 'up' && !n.startsWith('kube_'));
const NODE = 'worker-node-1';
const NEW_MAC = 'fa:16:3e:10:01:51';

/** A scrape in Prometheus's text format: HELP and TYPE per family, and the sample lines. */
interface Scrape {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Array<{ name: string; labels: string; value: number }>;
}
function parseScrape(text: string): Scrape {
  const s: Scrape = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.split('\n')) {
    let m = /^# HELP (\S+) ?(.*)$/.exec(line);
    if (m) s.help.set(m[1]!, m[2]!);
    else if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) s.type.set(m[1]!, m[2]!);
    else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line))) s.samples.push({ name: m[1]!, labels: m[2] ?? '', value: Number(m[3]) });
  }
  return s;
}
const has = (s: Scrape, name: string, labels: string[] = []) => s.samples.some((x) => x.name === name && labels.every((l) => x.labels.includes(l)));

describe('metrics of both roles over HTTP (issue 16 point 5; real MariaDB, RabbitMQ, sandbox agent)', function () {
  this.timeout(60_000);
  let t: TestDatabase;
  let vhost: TestVhost;
  let kube: FakeKubeApi;
  let publisher: RunningPublisher;
  let agent: SandboxAgent;
  const servers: HttpServer[] = [];
  const scrape = async (server: HttpServer) => parseScrape(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text());
  const success = async (portId: string) =>
    Number((await t.sequelize.query<{ s: number }>('SELECT netplan_success AS s FROM multi_interface WHERE port_id = ?', { replacements: [portId], type: QueryTypes.SELECT }))[0]?.s);

  before(async () => {
    t = await createTestDatabase('mnmet');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    vhost = await createTestVhost('mnmet');
    kube = await startKube({ nodes: [NODE] });
    const env: SandboxEnv = { db: t.db, amqpUrl: vhost.url, kubeconfigPath: kube.kubeconfigPath };
    const registry = createRegistry();
    const log = createRingLogger('metrics-publisher').log;
    publisher = startPublisher({ config: configFrom(env, { PUBLISHER_POLL_INTERVAL: '250ms', PUBLISHER_LOCK_NAME: `mnmet-${uniqueSuffix()}` }), log, registry });
    servers.push(await startHttpServer({ port: 0, host: '127.0.0.1', registry, readiness: publisher.readiness, log }));
    const nics = [...SEED.interfaces.filter((i) => i.node === 0).map((i) => i.macaddress), NEW_MAC].map((mac, k) => ({ name: `ens${k + 4}`, mac }));
    agent = await SandboxAgent.start(NODE, env, nics);
    servers.push(await startHttpServer({ port: 0, host: '127.0.0.1', registry: agent.registry, readiness: agent.agent.readiness, log: agent.ring.log }));
  });

  after(async () => {
    for (const s of servers) await s.close().catch(() => undefined);
    await agent?.stop();
    await publisher?.stop().catch(() => undefined);
    await kube?.close().catch(() => undefined);
    await vhost?.delete().catch(() => undefined);
    await t?.drop();
  });

  it('serves every name the alert rules and dashboard use, each family with help text, attach and detach in both roles', async () => {
    const mine = SEED.interfaces.filter((i) => i.node === 0);
    for (const i of mine) await waitFor(`netplan_success=1 for ${i.port_id}`, async () => (await success(i.port_id)) === 1);
    // A new row through the event path (the seed's rows may all be configured by the start-up resync).
    await t.sequelize.query(
      `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_id, attached_node_name, netplan_success, status, address, created_at, modified_at)
       SELECT 'mnmet-new', ?, ?, attached_node_id, attached_node_name, 0, 'ACTIVE', '192.168.100.31', NOW(3), NOW(3) FROM node_table WHERE attached_node_name = ?`,
      { replacements: [SEED.subnets[1].subnet_id, NEW_MAC, NODE] },
    );
    await waitFor('netplan_success=1 for the new row', async () => (await success('mnmet-new')) === 1);
    // A detach through both roles: the row deleted, the publisher sends, the agent removes.
    const gone = mine.find((i) => i.netplan_success === 0)!.port_id;
    await t.sequelize.query('UPDATE multi_interface SET deleted_at = NOW(3), modified_at = NOW(3) WHERE port_id = ?', { replacements: [gone] });
    await waitFor(`netplan_success=0 for ${gone}`, async () => (await success(gone)) === 0);
    await agent.agent.resyncNow();
    await waitFor('the agent counted the detach', async () => (await agent.metric('multinic_events_total', { type: 'detach', outcome: 'removed' })) > 0);

    const [pub, age] = [await scrape(servers[0]!), await scrape(servers[1]!)];
    for (const [role, s] of [['publisher', pub], ['agent', age]] as const) {
      expect([...s.type.keys()].filter((f) => !s.help.get(f)?.trim()), `${role}: families without help text`).to.deep.equal([]);
      expect(s.type.size, role).to.be.above(20);
      expect(has(s, 'multinic_build_info', [`role="${role}"`, 'version="']), `${role} build_info`).to.equal(true);
      for (const std of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']) expect(has(s, std), `${role} ${std}`).to.equal(true);
      expect(s.samples.filter((x) => x.name.startsWith('multinic_process_') || x.name.startsWith('multinic_nodejs_')), `${role}: no prefixed defaults`).to.deep.equal([]);
    }
    const all = [...pub.samples, ...age.samples].map((x) => x.name);
    expect([...new Set(expected)].filter((n) => !all.includes(n)), 'names the rules and dashboard use but no role serves').to.deep.equal([]);

    // The families main added for issues 12 and 13, on a healthy system: nothing held back, nothing unaccounted.
    for (const reason of ['unknown_node', 'unusable_queue']) expect(pub.samples.find((x) => x.name === 'multinic_publisher_rows_waiting' && x.labels.includes(`reason="${reason}"`))?.value, reason).to.equal(0);
    for (const name of ['multinic_publisher_unusable_node_queues', 'multinic_publisher_resends_skipped_queued_total', 'multinic_publisher_resends_skipped_failed_total']) {
      expect(pub.samples.find((x) => x.name === name)?.value, name).to.equal(0);
    }
    expect(age.samples.find((x) => x.name === 'multinic_rows_unaccounted')?.value).to.equal(0);

    // Label values the rules and dashboard rely on, and one vocabulary for `type`.
    for (const op of ['poll', 'publish']) expect(has(pub, 'multinic_last_success_timestamp_seconds', [`operation="${op}"`]), op).to.equal(true);
    for (const op of ['event', 'resync']) expect(has(age, 'multinic_last_success_timestamp_seconds', [`operation="${op}"`]), op).to.equal(true);
    for (const type of ['attach', 'detach']) {
      expect(has(pub, 'multinic_publisher_events_published_total', [`type="${type}"`]), `publisher ${type}`).to.equal(true);
      expect(has(age, 'multinic_events_total', [`type="${type}"`]), `agent ${type}`).to.equal(true);
      expect(has(age, 'multinic_handler_duration_seconds_count', [`type="${type}"`]), `handler ${type}`).to.equal(true);
      expect(has(age, 'multinic_row_to_configured_seconds_count', [`type="${type}"`]), `row -> configured ${type}`).to.equal(true);
    }
    expect(new Set([...pub.samples, ...age.samples].filter((x) => x.name.startsWith('multinic_')).flatMap((x) => [.../type="([^"]*)"/.exec(x.labels)?.slice(1) ?? []]))).to.deep.equal(new Set(['attach', 'detach']));
    // The apply alone: at least one apply per change (three seed attaches, the new row, the detach), none failed.
    const applies = age.samples.find((x) => x.name === 'multinic_apply_duration_seconds_count' && x.labels.includes('backend="netplan"') && x.labels.includes('result="ok"'));
    expect(applies?.value).to.be.at.least(2);
    expect(has(age, 'multinic_apply_duration_seconds_count', ['result="error"'])).to.equal(false);
    const sum = (s: Scrape, name: string) => s.samples.filter((x) => x.name === name).reduce((a, x) => a + x.value, 0);
    expect(sum(age, 'multinic_apply_duration_seconds_sum')).to.be.below(sum(age, 'multinic_handler_duration_seconds_sum') + sum(age, 'multinic_resync_duration_seconds_sum'));
  });
});
