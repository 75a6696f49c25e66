import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryTypes } from 'sequelize';
import { loadConfig } from '../../src/config/index.js';
import { migrate, seed, SEED } from '../../src/db/index.js';
import { ipAddressReader } from '../../src/host/addresses.js';
import { runCommand, type CommandRunner } from '../../src/host/command.js';
import { createRegistry } from '../../src/http/metrics.js';
import { Labels } from '../../src/kube/patch.js';
import { createRingLogger } from '../../src/log/logger.js';
import { startAgent, type RunningAgent } from '../../src/roots/agent.js';
import { startPublisher, type RunningPublisher } from '../../src/roots/publisher.js';
import { start as startKube, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { uniqueSuffix } from '../helpers/ids.js';
import { createTestDatabase, type TestDatabase } from '../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../helpers/rabbitmq.js';
import { waitFor } from '../helpers/wait.js';
import { Lab, cidrsOf, type LabNode } from './index.js';

const NODE = 'worker-node-1';

/**
 * The whole agent on a NetworkManager node: real MariaDB (seeded), real RabbitMQ, the
 * publisher, the agent's own root choosing its backend by detection, and the real
 * NetworkManager 1.42 in a lab node. Judged by the node's kernel, the database and the Node.
 */
describe('the agent on a NetworkManager node (lab, real MariaDB, RabbitMQ and NetworkManager)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let node: LabNode;
  let t: TestDatabase;
  let vhost: TestVhost;
  let kube: FakeKubeApi;
  let publisher: RunningPublisher;
  let agent: RunningAgent;
  let scratch: string;
  const ring = createRingLogger('nm-agent', 5000);
  const ports = SEED.interfaces.filter((i) => i.node === 0);
  const success = async (portId: string) =>
    Number((await t.sequelize.query<{ s: number }>('SELECT netplan_success AS s FROM multi_interface WHERE port_id = ?', { replacements: [portId], type: QueryTypes.SELECT }))[0]?.s);

  before(async () => {
    lab = await Lab.start({ tag: 'nm' });
    node = await lab.addNode({ name: 'w1', backend: 'networkmanager' });
    for (const p of ports) await node.plug({ mac: p.macaddress });
    scratch = await mkdtemp(join(tmpdir(), 'nm-agent-'));
    t = await createTestDatabase('mnnm');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    await t.sequelize.query('UPDATE multi_interface SET netplan_success = 0');
    vhost = await createTestVhost('mnnm');
    kube = await startKube({ nodes: [NODE] });
    const env = {
      DB_HOST: t.db.host, DB_PORT: String(t.db.port), DB_USER: t.db.user, DB_PASSWORD: t.db.password, DB_NAME: t.db.name,
      AMQP_URL: vhost.url, KUBECONFIG: kube.kubeconfigPath,
    };
    publisher = startPublisher({
      config: loadConfig({ env: { ...env, PUBLISHER_POLL_INTERVAL: '500ms', PUBLISHER_LOCK_NAME: `mnnm-${uniqueSuffix()}` } }),
      log: createRingLogger('nm-agent-publisher').log,
      registry: createRegistry(),
    });
    const config = loadConfig({
      env: {
        ...env,
        NODE_NAME: NODE,
        // No AGENT_BACKEND: the agent must find NetworkManager itself (no netplan file in the node).
        NETPLAN_DIR: node.netplanDir,
        NM_CONNECTIONS_DIR: node.nmConnectionsDir,
        NM_BACKUP_DIR: join(scratch, 'backups'),
        NM_LINK_DIR: join(scratch, 'link'),
        NM_IFCFG_DIR: join(scratch, 'ifcfg'),
        NMCLI_COMMAND: JSON.stringify(node.nmcliCommand),
        IP_COMMAND: JSON.stringify([...node.enterCommand, 'ip']),
        SYSFS_NET_DIR: node.sysfsNetDir,
        AGENT_NIC_WAIT: '5s',
        AGENT_RESYNC_INTERVAL: '10m',
      },
    });
    const inNode: CommandRunner = (argv, opts) => runCommand([...node.enterCommand, ...argv], opts);
    agent = await startAgent({ config, log: ring.log, registry: createRegistry(), overrides: { addresses: ipAddressReader({ log: ring.log, run: inNode }) } });
  });

  afterEach(function () {
    // The agent's own account of a failure: what it logged at warn and above.
    if (this.currentTest?.state === 'failed') for (const r of ring.records().filter((x) => Number(x.level) >= 40).slice(0, 10)) console.error(JSON.stringify(r).slice(0, 600));
  });

  after(async () => {
    await agent?.stop().catch(() => undefined);
    await publisher?.stop().catch(() => undefined);
    await kube?.close().catch(() => undefined);
    await vhost?.delete().catch(() => undefined);
    await t?.drop().catch(() => undefined);
    await lab?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('detects NetworkManager, configures every port of the node as the kernel shows, and labels the Node', async () => {
    expect(ring.records().find((r) => r.msg === 'host backend chosen')).to.include({ backend: 'networkmanager' });
    await waitFor('every port of the node configured', async () => (await Promise.all(ports.map((p) => success(p.port_id)))).every((s) => s === 1), { timeoutMs: 60_000, intervalMs: 250 });
    const links = new Map((await node.addr()).map((l) => [l.address, l]));
    for (const p of ports) {
      const l = links.get(p.macaddress)!;
      const subnet = SEED.subnets[p.subnet]!.cidr;
      expect(l.ifname, p.macaddress).to.match(/^multinic\d+$/);
      expect(cidrsOf(l, { family: subnet.includes(':') ? 'inet6' : 'inet' }), p.macaddress).to.deep.equal([`${p.address}/${subnet.split('/')[1]}`]);
      if (p.mtu !== null) expect(l.mtu, p.macaddress).to.equal(p.mtu);
    }
    await waitFor('the Node labelled', () => kube.node(NODE)?.metadata.labels[Labels.Backend] === 'networkmanager' && kube.node(NODE)?.metadata.labels[Labels.Ready] === 'true');
    expect(kube.node(NODE)!.metadata.labels[Labels.InterfaceCount]).to.equal(String(ports.length));
  });

  it('a deleted row is detached: keyfile gone, no address left on the NIC', async () => {
    const gone = ports[1]!;
    const ifname = (await node.addr()).find((l) => l.address === gone.macaddress)!.ifname;
    await t.sequelize.query('UPDATE multi_interface SET deleted_at = NOW(3), modified_at = NOW(3) WHERE port_id = ?', { replacements: [gone.port_id] });
    await waitFor('the row marked not configured', async () => (await success(gone.port_id)) === 0, { timeoutMs: 30_000, intervalMs: 250 });
    expect(cidrsOf(await node.addrOf(ifname))).to.deep.equal([]);
    expect(await readdir(node.nmConnectionsDir)).to.not.include(`multinic-${ifname}.nmconnection`);
    await waitFor('the Node counting one less', () => kube.node(NODE)?.metadata.labels[Labels.InterfaceCount] === String(ports.length - 1));
  });
});
