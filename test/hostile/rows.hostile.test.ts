import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { migrate, seed, SEED } from '../../src/db/index.js';
import { createRegistry } from '../../src/http/metrics.js';
import { Annotations, Labels } from '../../src/kube/patch.js';
import { createRingLogger } from '../../src/log/logger.js';
import { sameNode } from '../../src/model/node-identity.js';
import { startPublisher, type RunningPublisher } from '../../src/roots/publisher.js';
import { configFrom, SandboxAgent, type SandboxEnv } from '../e2e/harness.js';
import { start as startKube, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { uniqueSuffix } from '../helpers/ids.js';
import { createTestDatabase, type TestDatabase } from '../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../helpers/rabbitmq.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { printTable } from './table.js';

const NODE = SEED.nodes[0].attached_node_name;
const V4 = SEED.subnets[1]; // 192.168.100.0/24
const V6 = SEED.subnets[3]; // fd00:100::/64
const GOOD_MAC = 'fa:16:3e:77:00:01';

interface RowCase {
  name: string;
  port: string;
  /** Column values over a valid row of NODE on the IPv4 subnet. */
  row: Partial<{ macaddress: string | null; subnet_id: string; address: string | null; mtu: number | null; cr_name: string | null; attached_node_name: string }>;
  /** What the publisher's one report must say. */
  reason: RegExp;
}

/** Garbage subnet rows the cases refer to. */
const BAD_SUBNETS = [
  { subnet_id: 'subnet-garbage-cidr', cidr: '10.0.0.0/99' },
  { subnet_id: 'subnet-shell-cidr', cidr: '$(reboot)/24' },
  { subnet_id: 'subnet-v4-mapped', cidr: '::ffff:10.30.0.0/120' },
  { subnet_id: 'subnet-link-local', cidr: '169.254.0.0/16' },
];

/** The hostile database rows: each must be reported once by the publisher and never configured. */
const ROW_CASES: RowCase[] = [
  { name: 'bad MAC', port: 'row-bad-mac', row: { macaddress: 'zz:16:3e:00:00:01' }, reason: /MAC "zz:16:3e:00:00:01" is not six/ },
  { name: 'empty MAC', port: 'row-empty-mac', row: { macaddress: '' }, reason: /macaddress is empty/ },
  { name: 'multicast MAC', port: 'row-mcast-mac', row: { macaddress: '01:00:5e:00:00:09' }, reason: /multicast/ },
  { name: 'CIDR garbage (/99)', port: 'row-cidr-99', row: { subnet_id: 'subnet-garbage-cidr', address: null }, reason: /prefix \/99/ },
  { name: 'CIDR with a shell command', port: 'row-cidr-shell', row: { subnet_id: 'subnet-shell-cidr', address: null }, reason: /cidr "\$\(reboot\)\/24" has an invalid network address/ },
  { name: 'unknown subnet', port: 'row-no-subnet', row: { subnet_id: 'subnet-that-does-not-exist' }, reason: /unknown subnet "subnet-that-does-not-exist"/ },
  { name: 'address garbage', port: 'row-addr-garbage', row: { address: '192.168.100.300' }, reason: /not a valid IP address/ },
  { name: 'address with YAML', port: 'row-addr-yaml', row: { address: '1.2.3.4\n  gateway4: 1.2.3.1' }, reason: /not a valid IP address/ },
  { name: 'address outside CIDR', port: 'row-addr-outside', row: { address: '10.9.9.9' }, reason: /outside its cidr 192.168.100.0\/24/ },
  { name: 'IPv4-mapped subnet and address (the issue\'s input)', port: 'row-v4-mapped', row: { subnet_id: 'subnet-v4-mapped', address: '::ffff:10.30.0.9' }, reason: /IPv4-mapped IPv6 ::ffff:0:0\/96/ },
  { name: 'link-local subnet', port: 'row-link-local', row: { subnet_id: 'subnet-link-local', address: '169.254.3.4' }, reason: /link-local 169.254.0.0\/16/ },
  { name: 'address is the network address', port: 'row-addr-network', row: { address: '192.168.100.0' }, reason: /network address of 192.168.100.0\/24/ },
  { name: 'IPv6 Subnet-Router anycast', port: 'row-v6-anycast', row: { subnet_id: V6.subnet_id, address: 'fd00:100::' }, reason: /Subnet-Router anycast address of fd00:100::\/64/ },
  { name: 'IPv6 multicast address on a unicast subnet is outside it', port: 'row-v6-mcast', row: { subnet_id: V6.subnet_id, address: 'ff02::1' }, reason: /outside its cidr fd00:100::\/64/ },
  { name: 'MTU 0', port: 'row-mtu-0', row: { mtu: 0 }, reason: /mtu 0 is outside 576-9216/ },
  { name: 'MTU 70000', port: 'row-mtu-70000', row: { mtu: 70_000 }, reason: /mtu 70000 is outside 576-9216/ },
  { name: 'IPv6 with MTU 1000', port: 'row-v6-mtu', row: { subnet_id: V6.subnet_id, address: 'fd00:100::99', mtu: 1000 }, reason: /below 1280/ },
  { name: 'shell metacharacters in port_id', port: 'row-$(reboot);rm -rf /', row: {}, reason: /port_id has characters/ },
  { name: 'newline in port_id', port: 'row-nl\n  routes: []', row: {}, reason: /port_id has characters/ },
  { name: 'unicode port_id', port: 'row-pört-😀', row: {}, reason: /port_id has characters/ },
  { name: 'null byte in cr_name', port: 'row-nul-crname', row: { cr_name: 'multinic\u0000x' }, reason: /cr_name has characters/ },
  { name: 'YAML in cr_name', port: 'row-yaml-crname', row: { cr_name: '*alias {a: b}' }, reason: /cr_name has characters/ },
  { name: 'node name with spaces', port: 'row-node-spaces', row: { attached_node_name: 'worker node 1' }, reason: /attached_node_name has characters/ },
];

/**
 * Hostile database rows through the real publisher and the real agent resync: the
 * publisher reports each exactly once (over many polls) and skips it while the valid row
 * beside them is still served; the agent's resync keeps the Node not-ready with the
 * reason in multinic.io/last-error and never writes a file for an invalid row.
 */
describe('hostile database rows: reported once, skipped, never configured', function () {
  this.timeout(60_000);
  let t: TestDatabase;
  let vhost: TestVhost;
  let kube: FakeKubeApi;
  let agent: SandboxAgent;
  let publisher: RunningPublisher;
  const publisherLog = createRingLogger('hostile-publisher', 5000);
  const results: Array<[string, string, string]> = [];

  const success = async (port: string) =>
    Number((await t.sequelize.query<{ s: number }>('SELECT netplan_success AS s FROM multi_interface WHERE port_id = ?', { replacements: [port], type: QueryTypes.SELECT }))[0]?.s);

  before(async () => {
    t = await createTestDatabase('mnhrows');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    await t.sequelize.query('DELETE FROM multi_interface');
    for (const s of BAD_SUBNETS) {
      await t.sequelize.query("INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, status, created_at, modified_at) VALUES (?, 'bad', ?, 'net-bad', 'ACTIVE', NOW(3), NOW(3))", { replacements: [s.subnet_id, s.cidr] });
    }
    const insert = async (port: string, r: RowCase['row'], mac: string) => {
      const v = { macaddress: mac, subnet_id: V4.subnet_id, address: '192.168.100.50', mtu: null, cr_name: null, attached_node_name: NODE, ...r };
      await t.sequelize.query(
        `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_id, attached_node_name, cr_name, netplan_success, status, address, mtu, created_at, modified_at)
         VALUES (?, ?, ?, ?, ?, ?, 0, 'ACTIVE', ?, ?, NOW(3), NOW(3))`,
        { replacements: [port, v.subnet_id, v.macaddress, SEED.nodes[0].attached_node_id, v.attached_node_name, v.cr_name, v.address, v.mtu] },
      );
    };
    for (const [k, c] of ROW_CASES.entries()) await insert(c.port, c.row, `fa:16:3e:77:01:${k.toString(16).padStart(2, '0')}`);
    await insert('row-valid', {}, GOOD_MAC);
    vhost = await createTestVhost('mnhrows');
    kube = await startKube({ nodes: [NODE] });
    const env: SandboxEnv = { db: t.db, amqpUrl: vhost.url, kubeconfigPath: kube.kubeconfigPath };
    publisher = startPublisher({
      config: configFrom(env, { PUBLISHER_POLL_INTERVAL: '200ms', PUBLISHER_LOCK_NAME: `mnhrows-${uniqueSuffix()}` }),
      log: publisherLog.log,
      registry: createRegistry(),
    });
    agent = await SandboxAgent.start(NODE, env, [{ name: 'ens5', mac: GOOD_MAC }]);
  });

  after(async () => {
    printTable(`hostile database rows (${ROW_CASES.length} cases)`, ['row', 'publisher', 'reported as'], results, 90);
    await agent?.stop();
    await publisher?.stop().catch(() => undefined);
    await kube?.close().catch(() => undefined);
    await vhost?.delete().catch(() => undefined);
    await t?.drop();
  });

  it('the valid row beside them is configured', async () => {
    await waitFor('netplan_success=1 for row-valid', async () => (await success('row-valid')) === 1, { timeoutMs: 20_000 });
  });

  it('the publisher reports each invalid row exactly once over many polls, naming the problem, and skips it', async () => {
    await sleep(1_500); // several more 200 ms polls: a report must not repeat
    const reports = publisherLog.records().filter((r) => String(r.msg).startsWith('skipping malformed row'));
    const wrong: string[] = [];
    for (const c of ROW_CASES) {
      const mine = reports.filter((r) => r.portId === c.port);
      const reason = String(mine[0]?.reason ?? '');
      const ok = mine.length === 1 && c.reason.test(reason);
      results.push([c.name, ok ? 'reported once, skipped' : `WRONG (${mine.length} reports)`, reason]);
      if (!ok) wrong.push(`${c.name}: ${mine.length} reports, reason ${reason} (expected ${c.reason})`);
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
    for (const c of ROW_CASES) expect(await success(c.port), c.name).to.equal(0);
  });

  it('the agent resync marks the node not ready with the reasons and writes no file for any invalid row', async () => {
    await agent.agent.resyncNow();
    const node = await waitFor('the Node patched not-ready', () => (kube.node(NODE)?.metadata.labels[Labels.Ready] === 'false' ? kube.node(NODE) : undefined));
    const lastError = node.metadata.annotations[Annotations.LastError] ?? '';
    // 'worker node 1' is this node under the identity rule (Nova's display-name form), so its invalid row counts here too.
    const onThisNode = ROW_CASES.filter((c) => sameNode(c.row.attached_node_name ?? NODE, NODE)).length;
    expect(lastError).to.match(/invalid row/);
    expect(lastError).to.include(`and ${onThisNode - 3} more`);
    const files = await agent.files();
    expect(files.map((f) => f.content.includes(GOOD_MAC))).to.deep.equal([true]);
    const annotation = JSON.parse(node.metadata.annotations[Annotations.Interfaces] ?? '[]') as Array<{ portId: string }>;
    expect(annotation.map((a) => a.portId)).to.deep.equal(['row-valid']);
    results.push(['(agent resync over all of them)', 'node not ready', lastError]);
  });
});
