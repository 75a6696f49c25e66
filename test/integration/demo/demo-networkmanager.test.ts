import { expect } from 'chai';
import { stat } from 'node:fs/promises';
import type mysql from 'mysql2/promise';
import { SEED } from '../../../src/db/index.js';
import type { DemoReport } from '../../../src/demo/run.js';
import { adminConnection } from '../../helpers/mariadb.js';
import { demo, expectKernelAsSeeded, labNamespaces, leftovers } from './helpers.js';

/**
 * `multinic demo --backend networkmanager`: each seeded node a lab node running the real
 * NetworkManager (Debian's 1.42), each agent on MultiNIC's NetworkManager backend. Needs
 * root and the lab's packages, as the netplan lab cases in demo.test.ts do.
 */
describe('multinic demo --backend networkmanager (real NetworkManager in lab nodes, MariaDB, RabbitMQ)', function () {
  this.timeout(120_000);
  let admin: mysql.Connection;

  before(async () => {
    admin = await adminConnection();
  });
  after(async () => {
    await admin?.end();
  });

  it('configures every seeded interface through keyfiles, as each node\'s kernel shows, labels the Nodes networkmanager and leaves nothing behind', async () => {
    const r = await demo(['--backend', 'networkmanager', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as DemoReport;
    expect(report.mode).to.equal('lab');
    expect(report.backend).to.equal('networkmanager');
    expect(r.stderr).to.match(/mode: network lab dm[0-9a-f]{4}: nodes .* the real NetworkManager runs in each/);
    expect(r.stderr).to.include('AGENT_BACKEND=networkmanager, NM_CONNECTIONS_DIR, NMCLI_COMMAND, IP_COMMAND and SYSFS_NET_DIR point into lab node');
    expect(report.interfaces.map((i) => i.portId).sort()).to.deep.equal(SEED.interfaces.map((i) => i.port_id).sort());
    for (const i of report.interfaces) {
      expect(i.netplanSuccess, i.portId).to.equal(1);
      expect(i.netplanFile, i.portId).to.match(/\/etc\/NetworkManager\/system-connections\/multinic-multinic\d+\.nmconnection$/);
      expect(i.labels['multinic.io/ready'], i.portId).to.equal('true');
      expect(i.labels['multinic.io/backend'], i.portId).to.equal('networkmanager');
    }
    expectKernelAsSeeded(report.interfaces);
    for (const n of report.nodes) {
      expect(n.backend, n.node).to.equal('networkmanager');
      // netplan generate reads no keyfile: the agent checked them with nmcli --offline.
      expect(n.valid, n.node).to.equal(null);
      expect(n.files.length, n.node).to.equal(SEED.interfaces.filter((i) => SEED.nodes[i.node]!.attached_node_name === n.node).length);
      for (const f of n.files) expect(f.content, f.file).to.match(/^\[connection\]$/m);
    }
    expect(labNamespaces(report.lab!.id), 'lab namespaces left').to.deep.equal([]);
    expect(await stat(report.lab!.dir).then(() => true, () => false), 'lab folder removed').to.equal(false);
    expect(await leftovers(admin, report.id)).to.deep.equal({ databases: 0, dbUsers: 0, vhost: false, amqpUser: false });
  });

  it('refuses --backend networkmanager with --sandbox (the sandbox apply is netplan\'s), and an unknown backend', async () => {
    const r = await demo(['--backend', 'networkmanager', '--sandbox']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('--backend networkmanager needs the network lab');
    const bad = await demo(['--backend', 'ifcfg']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--backend: expected netplan or networkmanager, got "ifcfg"');
  });
});
