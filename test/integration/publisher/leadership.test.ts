import { expect } from 'chai';
import { createRingLogger } from '../../../src/log/logger.js';
import { startHttpServer, type HttpServer } from '../../../src/http/server.js';
import { createRegistry } from '../../../src/http/metrics.js';
import { nodeQueueName } from '../../../src/amqp/topology.js';
import type { RunningPublisher } from '../../../src/roots/publisher.js';
import { randomPassword } from '../../../src/sandbox/ids.js';
import { waitFor } from '../../helpers/wait.js';
import { createPublisherEnv, type PublisherEnv } from './env.js';

/** Issue 13 point 5: one lock per database, a truthful /readyz, and a publisher without the broker gives the lock up. */
describe('publisher leadership and readiness (real MariaDB and RabbitMQ)', function () {
  this.timeout(40_000);
  const envs: PublisherEnv[] = [];
  const servers: HttpServer[] = [];
  const env = async () => {
    const e = await createPublisherEnv();
    envs.push(e);
    return e;
  };
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close().catch(() => undefined);
    for (const e of envs.splice(0)) await e.close();
  });

  /** /readyz of a running publisher, served for real. */
  const readyz = async (p: RunningPublisher) => {
    const server = await startHttpServer({ port: 0, host: '127.0.0.1', registry: createRegistry(), readiness: p.readiness, log: createRingLogger().log });
    servers.push(server);
    return async () => {
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      return { status: res.status, body: (await res.json()) as { ready: boolean; failing?: string[]; detail?: Record<string, string> } };
    };
  };
  const role = async (p: RunningPublisher) => (await p.readiness.find((c) => c.name === 'role')!.check()) as { detail: string };

  it('takes one lock per database by default: publishers of two databases on one server are both active', async () => {
    const [a, b] = [await env(), await env()];
    const pa = a.start();
    const pb = b.start();
    await waitFor('both active', async () => (await role(pa)).detail.startsWith('active') && (await role(pb)).detail.startsWith('active'));
    expect((await role(pa)).detail).to.equal(`active: holds the lock multinic-publisher:${a.t.name}`);
  });

  it('is ready as a standby and says so; is not ready with a wrong database password', async () => {
    const e = await env();
    const active = e.start();
    await waitFor('the first active', async () => (await role(active)).detail.startsWith('active'));
    const standby = await readyz(e.start());
    const r = await waitFor('the standby ready', async () => {
      const x = await standby();
      return x.status === 200 && x.body.detail?.role?.startsWith('standby') ? x : undefined;
    });
    expect(r.body.detail!.role).to.equal(`standby: another replica holds the lock multinic-publisher:${e.t.name}`);

    const wrong = await readyz(e.start({ 'db.password': 'not-the-password' }));
    const w = await waitFor('the wrong password seen', async () => {
      const x = await wrong();
      return /Access denied/.test(x.body.detail?.lock ?? '') ? x : undefined;
    });
    expect(w.status).to.equal(503);
    expect(w.body.failing).to.include.members(['database', 'lock']);
    expect(w.body.detail!.lock).to.match(/Access denied/);
  });

  it('gives the lock up when it cannot reach RabbitMQ for PUBLISHER_BROKER_GRACE, and a replica that can takes over', async () => {
    const e = await env();
    await e.addNode('worker-1');
    // Replica A gets a RabbitMQ user of its own, so its broker can be taken away alone.
    const userA = `${e.v.vhost}-a`;
    const password = randomPassword();
    await e.v.management.putUser(userA, password);
    await e.v.management.setPermissions(e.v.vhost, userA, { configure: '.*', write: '.*', read: '.*' });
    try {
      const url = new URL(e.v.url);
      url.username = encodeURIComponent(userA);
      url.password = encodeURIComponent(password);
      const a = e.start({ 'amqp.url': url.toString(), 'publisher.brokerGrace': '1s' });
      await waitFor('A active', async () => (await role(a)).detail.startsWith('active'));
      const b = e.start({ 'publisher.brokerGrace': '1s' });
      await waitFor('B standing by', async () => (await role(b)).detail.startsWith('standby: another'));

      await e.v.management.deleteUser(userA);
      await e.v.closeConnections((c) => c.connectionName?.startsWith('multinic-publisher') === true);
      await waitFor('B active', async () => (await role(b)).detail.startsWith('active'), { timeoutMs: 15_000 });
      expect((await role(a)).detail).to.match(/waiting for RabbitMQ/);
      expect(a.records().some((r) => String(r.msg).includes('giving up the publisher lock'))).to.equal(true);
      await e.addInterface('port-after', 'worker-1');
      await waitFor('the row published by B', async () => (await e.messageCount(nodeQueueName('worker-1'))) === 1);
    } finally {
      await e.v.management.deleteUser(userA);
    }
  });
});
