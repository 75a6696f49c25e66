import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, seed, SEED } from '../../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * Issue 11 point 5, with the real `multinic agent` process: health is bound before the
 * agent reaches anything else, a port in use fails at once naming HTTP_PORT with nothing
 * written, /readyz names the dependency that is away, SIGTERM exits 0 in every state, and
 * HTTP_HOST decides the one address it listens on (point 6).
 */
describe('multinic agent start-up order and health (child process)', function () {
  this.timeout(90_000);
  let root: string;
  let t: TestDatabase | undefined;
  const children: ChildProcess[] = [];

  before(async () => (root = await mkdtemp(join(tmpdir(), 'sf-agent-startup-'))));
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t?.drop();
    await rm(root, { recursive: true, force: true });
  });

  /**
   * An agent whose database login is refused (no such user) unless `env` says otherwise. It
   * is told it is a node (`--configure-this-host`): this machine is none, and its folders
   * and IP_COMMAND='' keep it off the machine's network anyway.
   */
  function agent(env: Record<string, string>) {
    const dir = join(root, `run-${children.length}`);
    const child = spawn(process.execPath, ['bin/multinic.js', 'agent', '--node', 'worker-node-1', '--configure-this-host'], {
      env: {
        ...process.env, MULTINIC_FROM_SOURCE: '1', LOG_LEVEL: 'info',
        DB_HOST: '127.0.0.1', DB_PORT: '3306', DB_USER: 'sf_no_such_user', DB_PASSWORD: 'wrong', DB_NAME: 'sf_none',
        AMQP_URL: 'amqp://guest:guest@127.0.0.1:1/', KUBE_MODE: 'log', HTTP_PORT: '0',
        NETPLAN_DIR: join(dir, 'netplan'), NETPLAN_BACKUP_DIR: join(dir, 'backup'), SYSFS_NET_DIR: join(dir, 'sys'),
        NETPLAN_APPLY_COMMAND: 'true', AGENT_NIC_WAIT: '200ms', AGENT_PROBES: '', IP_COMMAND: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = () => waitFor('the health port in the log', () => Number(/"httpPort":(\d+)/.exec(out)?.[1]) || undefined, { timeoutMs: 30_000 }).catch((err: Error) => { throw new Error(`${err.message}\n${out.slice(-2000)}`); });
    return { child, dir, exited, port, out: () => out };
  }

  async function readyz(port: number, host = '127.0.0.1') {
    const res = await fetch(`http://${host}:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as { ready: boolean; failing?: string[] } };
  }

  it('a health port in use fails at once, naming HTTP_PORT and --http-port, before anything else happens (exit 2, nothing written)', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const busy = (taken.address() as { port: number }).port;
    try {
      const started = Date.now();
      const a = agent({ HTTP_PORT: String(busy) });
      const code = await a.exited;
      expect(code, a.out()).to.equal(2);
      expect(a.out()).to.match(/configuration error: HTTP_PORT \(http\.port\) \/ --http-port: port \d+ is already in use on 127\.0\.0\.1/);
      expect(a.out()).to.not.include('node_table');
      expect(existsSync(a.dir), 'nothing written: no netplan, backup or any other folder').to.equal(false);
      console.log(`      exited ${Date.now() - started} ms after spawn (Node.js and tsx start-up included)`);
    } finally {
      taken.close();
    }
  });

  it('answers /healthz before the database is reached, /readyz 503 naming database and amqp while the login is refused, and SIGTERM exits 0', async () => {
    const started = Date.now();
    const a = agent({});
    const port = await a.port();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    const healthMs = Date.now() - started;
    expect(health.status).to.equal(200);
    // The health line comes before the first word about the database.
    const log = a.out();
    expect(log.indexOf('serving /healthz')).to.be.within(0, log.indexOf('node_table') === -1 ? Infinity : log.indexOf('node_table'));
    await waitFor('the refused login in the log', () => a.out().includes("cannot read node_table to resolve this node's name"), { timeoutMs: 20_000 });
    const r = await readyz(port);
    expect(r.status).to.equal(503);
    expect(r.body).to.deep.equal({ ready: false, failing: ['amqp', 'database'] });
    a.child.kill('SIGTERM');
    expect(await a.exited, a.out().slice(-2000)).to.equal(0);
    expect(a.out()).to.include('agent stopped before start-up finished');
    expect(existsSync(join(a.dir, 'netplan'))).to.equal(false);
    console.log(`      /healthz answered ${healthMs} ms after spawn (Node.js and tsx start-up included)`);
  });

  it('with the database up and the broker away: /readyz 503 naming amqp only; SIGTERM exits 0', async () => {
    t = await createTestDatabase('sfstartup');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
    const a = agent({ DB_HOST: t.db.host, DB_PORT: String(t.db.port), DB_USER: t.db.user, DB_PASSWORD: t.db.password, DB_NAME: t.db.name, NODE_NAME: SEED.nodes[0].attached_node_name });
    const port = await a.port();
    await waitFor('/readyz naming amqp only', async () => {
      const r = await readyz(port);
      return r.status === 503 && JSON.stringify(r.body.failing) === '["amqp"]';
    }, { timeoutMs: 20_000 });
    a.child.kill('SIGTERM');
    expect(await a.exited, a.out().slice(-2000)).to.equal(0);
  });

  it('listens only on HTTP_HOST (127.0.0.2 here): another address of the same host gets no answer', async () => {
    const a = agent({ HTTP_HOST: '127.0.0.2' });
    const port = await a.port();
    expect((await fetch(`http://127.0.0.2:${port}/healthz`)).status).to.equal(200);
    const other = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => 'answered', (e: Error) => (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.message);
    expect(other).to.equal('ECONNREFUSED');
    expect(a.out()).to.match(/"host":"127\.0\.0\.2"/);
    a.child.kill('SIGTERM');
    expect(await a.exited).to.equal(0);
  });

  it('an HTTP_HOST that is not an address of this host is a configuration error naming HTTP_HOST', async () => {
    const a = agent({ HTTP_HOST: '192.0.2.77' });
    expect(await a.exited).to.equal(2);
    expect(a.out()).to.match(/configuration error: HTTP_HOST \(http\.host\): cannot listen on 192\.0\.2\.77:0/);
    expect(await readdir(root)).to.not.include(a.dir.split('/').pop());
  });
});
