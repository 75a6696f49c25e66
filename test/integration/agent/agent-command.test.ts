import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, seed, SEED } from '../../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * `multinic agent` as a real child process: it becomes ready (consuming + database), and
 * SIGTERM stops it cleanly with exit code 0. Kubernetes is off (KUBE_MODE=log), the apply
 * command is `true`, and the sysfs tree is empty (the seed's NICs never appear), so the
 * start-up resync records failures and touches nothing.
 */
describe('multinic agent (child process)', function () {
  this.timeout(60_000);
  let t: TestDatabase;
  let vhost: TestVhost;
  let root: string;
  let child: ChildProcess | undefined;

  before(async () => {
    t = await createTestDatabase('mnagentcmd');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    vhost = await createTestVhost('mnagentcmd');
    root = await mkdtemp(join(tmpdir(), 'multinic-agent-cmd-'));
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await vhost?.delete().catch(() => undefined);
    await t?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('serves /readyz once consuming, and exits 0 on SIGTERM', async () => {
    const node = SEED.nodes[0].attached_node_name;
    child = spawn(process.execPath, ['bin/multinic.js', 'agent', '--node', node, '--http-port', '0'], {
      env: {
        ...process.env,
        MULTINIC_FROM_SOURCE: '1',
        DB_HOST: t.db.host, DB_PORT: String(t.db.port), DB_USER: t.db.user, DB_PASSWORD: t.db.password, DB_NAME: t.db.name,
        AMQP_URL: vhost.url, KUBE_MODE: 'log', NETPLAN_DIR: join(root, 'netplan'), NETPLAN_BACKUP_DIR: join(root, 'backup'),
        SYSFS_NET_DIR: join(root, 'sys'), NETPLAN_APPLY_COMMAND: 'true', AGENT_BACKEND: 'netplan', AGENT_NIC_WAIT: '200ms', LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const port = await waitFor(`the health port in the log (output so far: ${out.slice(-500)})`, () => /"httpPort":(\d+)/.exec(out)?.[1], { timeoutMs: 30_000 }).catch((err: Error) => { throw new Error(`${err.message}\n${out.slice(-3000)}`); });
    await waitFor('/readyz 200', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 20_000 });
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).to.include('multinic_resync_runs_total');
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited, out.slice(-2000)).to.equal(0);
    expect(out).to.include('agent stopped');
  });
});
