import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryTypes } from 'sequelize';
import { migrate, seed, SEED } from '../../../src/db/index.js';
import { kubeNodeExists } from '../../../src/kube/node-lookup.js';
import { start as startKube, type FakeKubeApi } from '../../helpers/fake-kube-api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { createTestVhost, type TestVhost } from '../../helpers/rabbitmq.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * `multinic agent` as a real child process: it becomes ready (consuming + database), and
 * SIGTERM stops it cleanly with exit code 0. Kubernetes is off (KUBE_MODE=log), the apply
 * command is `true`, and the sysfs tree is empty (the seed's NICs never appear), so the
 * start-up resync records failures and touches nothing. Then the start-up guard (issue 16
 * point 2): refused on a machine that is not shown to be a Kubernetes node, started with
 * --sandbox on a sandbox only, or where the Kubernetes API knows the node.
 */
describe('multinic agent (child process)', function () {
  this.timeout(60_000);
  let t: TestDatabase;
  let vhost: TestVhost;
  let kube: FakeKubeApi;
  let root: string;
  let child: ChildProcess | undefined;
  const node = SEED.nodes[0].attached_node_name;

  before(async () => {
    t = await createTestDatabase('mnagentcmd');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    vhost = await createTestVhost('mnagentcmd');
    kube = await startKube({ nodes: [node] });
    root = await mkdtemp(join(tmpdir(), 'multinic-agent-cmd-'));
  });
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });
  after(async () => {
    await vhost?.delete().catch(() => undefined);
    await kube?.close().catch(() => undefined);
    await t?.drop();
    await rm(root, { recursive: true, force: true });
  });

  /** The environment of a machine that is no Kubernetes node: no KUBECONFIG, no pod variables. */
  const baseEnv = (extra: Record<string, string> = {}) => {
    const env: Record<string, string | undefined> = { ...process.env };
    for (const k of Object.keys(env)) if (k === 'KUBECONFIG' || k.startsWith('KUBERNETES_') || k === 'NODE_NAME') delete env[k];
    return {
      ...env,
      MULTINIC_FROM_SOURCE: '1',
      DB_HOST: t.db.host, DB_PORT: String(t.db.port), DB_USER: t.db.user, DB_PASSWORD: t.db.password, DB_NAME: t.db.name,
      AMQP_URL: vhost.url, LOG_LEVEL: 'info', ...extra,
    };
  };
  const hostEnv = (extra: Record<string, string> = {}) =>
    baseEnv({
      KUBE_MODE: 'log', NETPLAN_DIR: join(root, 'netplan'), NETPLAN_BACKUP_DIR: join(root, 'backup'),
      SYSFS_NET_DIR: join(root, 'sys'), NETPLAN_APPLY_COMMAND: 'true', AGENT_NIC_WAIT: '200ms', ...extra,
    });
  const run = (args: string[], env: Record<string, string | undefined>) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, ['bin/multinic.js', ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === 'number' ? code : null, out: `${stdout}${stderr}` });
      });
    });
  /** Starts the agent, waits for /readyz 200, and returns its output so far and a stop function resolving to the exit code. */
  async function startReady(args: string[], env: Record<string, string | undefined>) {
    child = spawn(process.execPath, ['bin/multinic.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const port = await waitFor('the health port in the log', () => /"httpPort":(\d+)/.exec(out)?.[1], { timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\n${out.slice(-3000)}`);
    });
    await waitFor('/readyz 200', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 20_000 });
    const stop = async () => {
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      child!.kill('SIGTERM');
      return exited;
    };
    return { port, out: () => out, stop };
  }

  it('serves /readyz once consuming, and exits 0 on SIGTERM', async () => {
    const a = await startReady(['agent', '--node', node, '--http-port', '0', '--configure-this-host'], hostEnv());
    expect(await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text()).to.include('multinic_resync_runs_total');
    expect(await a.stop(), a.out().slice(-2000)).to.equal(0);
    expect(a.out()).to.include('agent stopped');
  });

  it('refuses to start on a machine that is not a Kubernetes node: exit 2, both ways on named, nothing created', async () => {
    const netplanDir = join(root, 'refused-netplan');
    const r = await run(['agent', '--node', node, '--http-port', '0'], hostEnv({ NETPLAN_DIR: netplanDir }));
    expect(r.code, r.out).to.equal(2);
    expect(r.out).to.match(/refusing to start: this machine does not look like a Kubernetes node/);
    expect(r.out).to.include('--sandbox DIR').and.include('--configure-this-host');
    expect(existsSync(netplanDir)).to.equal(false);
    const both = await run(['agent', '--node', node, '--sandbox', join(root, 'sb-x'), '--configure-this-host'], hostEnv());
    expect(both.code, both.out).to.equal(2);
    expect(both.out).to.include('exclude each other');
    const system = await run(['agent', '--node', node, '--sandbox', '/etc'], hostEnv());
    expect(system.code, system.out).to.equal(2);
    expect(system.out).to.include('--sandbox: "/etc" is a system folder');
  });

  it('asks the Kubernetes API (real client): a node it does not know is refused, a known one starts', async () => {
    expect(await kubeNodeExists(node, { kubeconfigPath: kube.kubeconfigPath })).to.equal(true);
    expect(await kubeNodeExists('nosuch-node', { kubeconfigPath: kube.kubeconfigPath })).to.equal(false);
    const unknown = await run(['agent', '--node', 'laptop', '--http-port', '0'], hostEnv({ KUBECONFIG: kube.kubeconfigPath }));
    expect(unknown.code, unknown.out).to.equal(2);
    expect(unknown.out).to.include('the Kubernetes API (kubeconfig) knows no Node named "laptop"');
    const a = await startReady(['agent', '--node', node, '--http-port', '0'], hostEnv({ KUBECONFIG: kube.kubeconfigPath }));
    expect(a.out()).to.include('the Kubernetes API confirms this machine is a node');
    expect(await a.stop()).to.equal(0);
  });

  it('--sandbox DIR configures the node inside DIR only: netplan files, fake NICs, netplan_success written back', async () => {
    const sandbox = join(root, 'sandbox', node);
    // Only the database and broker are given: no NETPLAN_*, SYSFS_NET_DIR, KUBE_MODE or apply command.
    const a = await startReady(['agent', '--sandbox', sandbox, '--node', node, '--http-port', '0'], baseEnv());
    const mine = SEED.interfaces.filter((i) => i.node === 0);
    const success = async () =>
      (await t.sequelize.query<{ s: number }>(`SELECT netplan_success AS s FROM multi_interface WHERE port_id IN (${mine.map(() => '?').join(',')})`, { replacements: mine.map((i) => i.port_id), type: QueryTypes.SELECT })).every((r) => Number(r.s) === 1);
    await waitFor("every seed row of the node configured (the start-up resync's work)", success, { timeoutMs: 20_000 });
    expect((await readdir(join(sandbox, 'etc', 'netplan'))).sort()).to.deep.equal(mine.map((_, k) => `90-multinic-multinic${k}.yaml`));
    expect((await readdir(join(sandbox, 'sys-class-net'))).sort()).to.deep.equal(mine.map((_, k) => `multinic${k}`));
    await waitFor('the Node patch logged, not sent', () => a.out().includes('node patch not sent (kube.mode=log)'));
    expect(a.out()).to.include('sandbox: fake NIC plugged');
    expect(await a.stop()).to.equal(0);
  });
});
