import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type mysql from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { SEED } from '../../../src/db/index.js';
import type { DemoReport } from '../../../src/demo/run.js';
import { adminConnection, DB_TCP_HOST, DB_TCP_PORT } from '../../helpers/mariadb.js';
import { BIN, demo, expectKernelAsSeeded, labNamespaces, leftovers } from './helpers.js';

const run = promisify(execFile);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Runs the real `netplan generate` over one node's files in a scratch root. */
async function netplanAccepts(files: Array<{ file: string; content: string }>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'multinic-demo-test-'));
  try {
    await mkdir(join(root, 'etc', 'netplan'), { recursive: true });
    for (const f of files) await writeFile(join(root, 'etc', 'netplan', f.file), f.content, { mode: 0o600 });
    await run('netplan', ['generate', '--root-dir', root]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('multinic demo (real MariaDB, RabbitMQ, netplan; as a child process)', function () {
  this.timeout(120_000);
  let admin: mysql.Connection;

  before(async () => {
    admin = await adminConnection();
  });
  after(async () => {
    await admin?.end();
  });

  it('configures every seeded interface, writes files netplan accepts, and leaves nothing behind', async () => {
    const r = await demo(['--json']);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as DemoReport;

    expect(report.interfaces.map((i) => i.portId).sort()).to.deep.equal(SEED.interfaces.map((i) => i.port_id).sort());
    for (const i of report.interfaces) {
      expect(i.netplanSuccess, i.portId).to.equal(1);
      expect(i.name, i.portId).to.match(/^multinic\d+$/);
      expect(i.netplanFile, i.portId).to.match(/90-multinic-multinic\d+\.yaml$/);
      expect(i.labels['multinic.io/ready'], i.portId).to.equal('true');
    }
    expect(report.netplanValidation).to.equal('netplan generate');
    for (const n of report.nodes) {
      expect(n.valid, n.node).to.equal(true);
      expect(n.files.length, n.node).to.equal(SEED.interfaces.filter((i) => SEED.nodes[i.node]!.attached_node_name === n.node).length);
      await netplanAccepts(n.files);
    }
    expect(r.stderr).to.match(/configured 5\/5/);
    expect(report.kept).to.equal(null);

    expect(await leftovers(admin, report.id)).to.deep.equal({ databases: 0, dbUsers: 0, vhost: false, amqpUser: false });
    expect(await stat(report.sandboxDir).then(() => true, () => false), 'sandbox removed').to.equal(false);
  });

  it('ends with a readable table, a Node patch and where to look in the management UI', async () => {
    const r = await demo([]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/NODE\s+IFACE\s+MAC\s+ADDRESS\s+MTU\s+NETPLAN FILE\s+NETPLAN_SUCCESS/);
    expect(r.stdout).to.match(/worker-node-2\s+multinic\d\s+fa:16:3e:10:02:12\s+dhcp/);
    expect(r.stdout).to.include('"multinic.io/interfaces"');
    expect(r.stdout).to.match(/RabbitMQ management UI: http:\/\/127\.0\.0\.1:15672\/#\/queues\/multinic-demo-/);
    // Root here, so the network lab: the kernel's table follows.
    expect(r.stdout).to.match(/Mode: network lab dm[0-9a-f]{4}: real systemd-networkd/);
    expect(r.stdout).to.match(/NODE\s+MAC\s+KERNEL NAME\s+KERNEL ADDRESSES\s+MTU\s+STATE/);
    expect(r.stdout).to.match(/worker-node-1\s+fa:16:3e:10:01:13\s+multinic\d\s+172\.20\.1\.11\/22\s+9000\s+UP/);
  });

  it('on the network lab, shows each NIC as the node\'s kernel does, and removes every namespace it made', async () => {
    const r = await demo(['--json']);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as DemoReport;
    expect(report.mode).to.equal('lab');
    expect(report.lab!.nodes.map((n) => n.node)).to.deep.equal(SEED.nodes.map((n) => n.attached_node_name));
    expect(r.stderr).to.match(/mode: network lab dm[0-9a-f]{4}: nodes dm[0-9a-f]{4}-worker-node-1, dm[0-9a-f]{4}-worker-node-2/);
    expect(r.stderr).to.include('NETPLAN_APPLY_COMMAND point into lab node');
    expectKernelAsSeeded(report.interfaces);
    expect(labNamespaces(report.lab!.id), 'lab namespaces left').to.deep.equal([]);
    expect(await stat(report.lab!.dir).then(() => true, () => false), 'lab folder removed').to.equal(false);
    expect(await leftovers(admin, report.id)).to.deep.equal({ databases: 0, dbUsers: 0, vhost: false, amqpUser: false });
  });

  it('with --sandbox uses the fake sysfs even where the lab could run, and says so', async () => {
    const r = await demo(['--sandbox', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as DemoReport;
    expect(report.mode).to.equal('sandbox');
    expect(report.modeReason).to.equal('--sandbox');
    expect(report.lab).to.equal(null);
    expect(r.stderr).to.include('mode: sandbox (--sandbox)');
    expect(r.stderr).to.not.include('network lab');
    expect(report.interfaces.every((i) => i.netplanSuccess === 1 && i.kernel === null)).to.equal(true);
  });

  it('falls back to the fake sysfs where the lab cannot run (not root), naming what the lab lacked', async () => {
    // The demo as nobody: the lab refuses (no root). MariaDB's root only logs in over the socket
    // as the OS root, so this run gets an administrator of its own over TCP.
    const user = `dm_demo_admin_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    for (const host of ['%', 'localhost']) {
      await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
      await admin.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [user, host]);
    }
    try {
      const base = { ...process.env };
      for (const k of Object.keys(base)) if (/^(DB_|AMQP_URL$|DEMO_)/.test(k)) delete base[k];
      const env = { ...base, DEMO_DB_ADMIN_HOST: DB_TCP_HOST, DEMO_DB_ADMIN_PORT: String(DB_TCP_PORT), DEMO_DB_ADMIN_USER: user, DEMO_DB_ADMIN_PASSWORD: password, HOME: tmpdir() };
      const out = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'demo', '--json'], { cwd: tmpdir(), env, timeout: 90_000 })
        .then((x) => ({ code: 0, ...x }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stderr).to.match(/mode: sandbox, the network lab cannot run here \(network lab: needs root .*\): falling back to a fake sysfs/);
      const report = JSON.parse(out.stdout) as DemoReport;
      expect(report.mode).to.equal('sandbox');
      expect(report.modeReason).to.match(/^network lab unavailable: network lab: needs root/);
      expect(report.interfaces.every((i) => i.netplanSuccess === 1 && i.kernel === null)).to.equal(true);
      expect(await leftovers(admin, report.id)).to.deep.equal({ databases: 0, dbUsers: 0, vhost: false, amqpUser: false });
    } finally {
      for (const host of ['%', 'localhost']) await admin.query('DROP USER IF EXISTS ?@?', [user, host]);
    }
  });

  it('with --keep keeps the database, vhost and sandbox, and its printed clean-up commands remove them', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'multinic-demo-keep-'));
    try {
      const r = await demo(['--keep', '--json'], {}, cwd);
      expect(r.code, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as DemoReport;
      expect(report.sandboxDir.startsWith(join(cwd, '.sandbox', 'demo-'))).to.equal(true);
      expect(await leftovers(admin, report.id)).to.deep.equal({ databases: 1, dbUsers: 2, vhost: true, amqpUser: true });
      expect(((await stat(report.kept!.envFile)).mode & 0o777).toString(8)).to.equal('600');

      for (const command of report.kept!.cleanup) await run('sh', ['-c', command], { cwd });
      expect(await leftovers(admin, report.id)).to.deep.equal({ databases: 0, dbUsers: 0, vhost: false, amqpUser: false });
      expect(await stat(report.sandboxDir).then(() => true, () => false)).to.equal(false);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('without netplan on PATH says so plainly and still configures everything, unvalidated', async () => {
    const r = await demo(['--json'], { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include('netplan is NOT installed: running WITHOUT netplan validation');
    const report = JSON.parse(r.stdout) as DemoReport;
    expect(report.netplanValidation).to.equal('skipped: netplan not installed');
    expect(report.interfaces.every((i) => i.netplanSuccess === 1)).to.equal(true);
    expect(report.nodes.map((n) => n.valid)).to.deep.equal([null, null]);
  });

  it('names MariaDB when it cannot be reached, and prints no report', async () => {
    const r = await demo(['--json'], { DEMO_DB_ADMIN_HOST: '127.0.0.1', DEMO_DB_ADMIN_PORT: String(await closedPort()) });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/multinic demo: MariaDB is not reachable \(127\.0\.0\.1:\d+ as root\).*start/);
    expect(r.stdout).to.equal('');
  });

  it('names the RabbitMQ management API when it cannot be reached, without echoing its credentials', async () => {
    const r = await demo(['--json'], { DEMO_AMQP_ADMIN_URL: `http://guest:guest@127.0.0.1:${await closedPort()}/` });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/multinic demo: RabbitMQ management API is not reachable/);
    expect(r.stderr).to.not.include('guest:guest');
  });

  it('names RabbitMQ when its AMQP port is closed', async () => {
    const r = await demo(['--json'], { DEMO_AMQP_HOST: `127.0.0.1:${await closedPort()}` });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/multinic demo: RabbitMQ is not reachable on AMQP 127\.0\.0\.1:\d+/);
  });

  it('on a timeout exits 1 naming it, and removes the database, vhost and users it made', async () => {
    const r = await demo(['--timeout', '1ms']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/multinic demo: timed out after 0 s: configured \d\/5/);
    const id = /created database multinic_demo_(\w+)/.exec(r.stderr)?.[1];
    expect(id, r.stderr).to.be.a('string');
    expect(await leftovers(admin, id!)).to.deep.equal({ databases: 0, dbUsers: 0, vhost: false, amqpUser: false });
  });

  it('on Ctrl-C (SIGINT) stops, cleans up and exits 130', async () => {
    const base = { ...process.env };
    for (const k of Object.keys(base)) if (/^(DB_|AMQP_URL$|DEMO_)/.test(k)) delete base[k];
    const child = spawn(process.execPath, [BIN, 'demo', '--timeout', '60s'], { env: base, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise<void>((r) => {
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        // Interrupt once the roles are running, so the clean-up has to stop them too.
        if (/agent for worker-node-1 started/.test(stderr)) r();
      });
      void exited.then(() => r());
    });
    child.kill('SIGINT');
    expect(await exited, stderr).to.equal(130);
    expect(stderr).to.include('interrupted');
    const id = /created database multinic_demo_(\w+)/.exec(stderr)?.[1];
    expect(await leftovers(admin, id!)).to.deep.equal({ databases: 0, dbUsers: 0, vhost: false, amqpUser: false });
    // Interrupted on the network lab (root here): its namespaces go too.
    const labId = /mode: network lab (dm[0-9a-f]{4})/.exec(stderr)?.[1];
    expect(labId, stderr).to.be.a('string');
    expect(labNamespaces(labId!), 'lab namespaces left').to.deep.equal([]);
  });
});
