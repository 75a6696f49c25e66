import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { migrate } from '../../src/db/index.js';
import type { RunningPublisher } from '../../src/roots/publisher.js';
import { start as startKube, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { AGENT_GRANTS, createTestDatabase, type TestDatabase } from '../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../helpers/rabbitmq.js';
import { waitFor } from '../helpers/wait.js';
import { startSandboxPublisher, stopAll, type SandboxEnv } from '../e2e/harness.js';
import { LabAgent } from '../e2e/lab-agent.js';
import { Lab } from './index.js';

/**
 * Issue 14 in the lab: 8 ports of one node written in one INSERT reach the agent's queue
 * together (the publisher's one poll) and cost at most 2 applies of the real netplan on the
 * real node, every NIC then judged by the kernel (`ip -j addr` in the node). Real MariaDB,
 * RabbitMQ, publisher, agent (batch mode, default agent.batchSize), netplan, systemd-networkd.
 */

const NODE = 'worker-node-1';
const COUNT = 8;
const MAC = (i: number) => `fa:16:3e:14:00:${(0x10 + i).toString(16)}`;
/** One subnet per port: a second NIC on a subnet another NIC already routes is refused by the kernel check. */
const SUBNET = (i: number) => ({ id: `5e0b7c3a-b2b0-4d1e-8f00-0000000000${10 + i}`, cidr: `192.168.${110 + i}.0/24`, address: `192.168.${110 + i}.11` });
describe('a burst of 8 attaches for one lab node: at most 2 applies, every NIC verified by the kernel (issue 14)', function () {
  this.timeout(180_000);
  let lab: Lab;
  let t: TestDatabase;
  let vhost: TestVhost;
  let kube: FakeKubeApi;
  let publisher: RunningPublisher;
  let agent: LabAgent;

  before(async () => {
    t = await createTestDatabase('mnb2b');
    await migrate(t.sequelize, { info: () => undefined });
    await t.sequelize.query("INSERT INTO node_table (attached_node_id, attached_node_name) VALUES ('b2b-node-1', ?)", { replacements: [NODE] });
    for (let i = 0; i < COUNT; i++) {
      const s = SUBNET(i);
      await t.sequelize.query("INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, status, created_at, modified_at) VALUES (?, ?, ?, ?, 'ACTIVE', NOW(3), NOW(3))", { replacements: [s.id, `b2b-net-${i}`, s.cidr, `9a1d2e3f-b2b0-4b00-8000-0000000000${10 + i}`] });
    }
    vhost = await createTestVhost('mnb2b');
    kube = await startKube({ nodes: [NODE] });
    const env: SandboxEnv = { db: t.db, amqpUrl: vhost.url, kubeconfigPath: kube.kubeconfigPath };
    publisher = startSandboxPublisher(env, 'mnb2b');
    lab = await Lab.start({ tag: 'b2' });
    agent = await LabAgent.start(lab, NODE, { ...env, db: await t.createUser(AGENT_GRANTS) }, Array.from({ length: COUNT }, (_, i) => MAC(i)));
  });

  after(async () => {
    await stopAll({ agents: [agent], publisher, kube, vhost, db: t });
    await lab?.stop();
  });

  it('8 rows in one INSERT: all configured with at most 2 applies; each NIC renamed, up and carrying exactly its address', async () => {
    // The start-up resync found nothing to do: every apply counted from here is the burst's.
    await new Promise((r) => setTimeout(r, 500));
    agent.applies = 0;
    const values = Array.from({ length: COUNT }, () => "(?, ?, ?, 'b2b-node-1', ?, 0, 'ACTIVE', ?, NOW(3), NOW(3))").join(', ');
    await t.sequelize.query(
      `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_id, attached_node_name, netplan_success, status, address, created_at, modified_at) VALUES ${values}`,
      { replacements: Array.from({ length: COUNT }, (_, i) => [`b2b-port-${i}`, SUBNET(i).id, MAC(i), NODE, SUBNET(i).address]).flat() },
    );
    const success = async () =>
      (await t.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM multi_interface WHERE netplan_success = 1', { type: QueryTypes.SELECT }))[0]!.n;
    await waitFor('netplan_success=1 on all 8 rows', async () => Number(await success()) === COUNT, { timeoutMs: 90_000 });

    const batches = agent.ring.records().filter((r) => r.msg === 'batch applied').map((r) => (r.configured as string[]).length);
    process.stdout.write(`      applies: ${agent.applies}; batches applied (NICs each): ${batches.join(', ') || 'none'}\n`);
    expect(agent.applies, `apply steps run (netplan apply or networkctl reload); batches: ${batches.join(', ')}`).to.be.at.most(2);
    const names = new Set<string>();
    for (let i = 0; i < COUNT; i++) {
      const k = await agent.kernelOf(MAC(i));
      expect(k, MAC(i)).to.not.equal(undefined);
      expect(k!.name, MAC(i)).to.match(/^multinic\d+$/);
      expect(k, MAC(i)).to.deep.include({ up: true, addresses: [`${SUBNET(i).address}/24`] });
      names.add(k!.name);
    }
    expect(names.size).to.equal(COUNT);
  });
});
