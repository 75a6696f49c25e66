import { expect } from 'chai';
import { createAgentMetrics, createRegistry } from '../../../src/http/metrics.js';
import { startHttpServer, type HttpServer, type ReadinessCheck } from '../../../src/http/server.js';
import { createRingLogger } from '../../../src/log/logger.js';

describe('HTTP health and metrics server', () => {
  let server: HttpServer | undefined;
  let ready: Record<string, boolean>;
  const registry = createRegistry();
  const metrics = createAgentMetrics(registry);

  async function start(readiness?: ReadinessCheck[]): Promise<string> {
    ready = { amqp: true, database: true };
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      registry,
      readiness: readiness ?? [
        { name: 'amqp', check: () => ready.amqp! },
        { name: 'database', check: async () => ready.database! },
      ],
      log: createRingLogger().log,
    });
    return `http://127.0.0.1:${server.port}`;
  }

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('listens on a free port when asked for port 0 and reports which', async () => {
    await start();
    expect(server!.port).to.be.a('number').and.above(0);
  });

  it('answers /healthz with 200 ok', async () => {
    const res = await fetch(`${await start()}/healthz`);
    expect(res.status).to.equal(200);
    expect((await res.text()).trim()).to.equal('ok');
  });

  it('answers /readyz with 200 when every check passes', async () => {
    const res = await fetch(`${await start()}/readyz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.include({ ready: true });
  });

  it('answers /readyz with 503 naming exactly the failing checks', async () => {
    const base = await start();
    ready.database = false;
    const res = await fetch(`${base}/readyz`);
    expect(res.status).to.equal(503);
    expect(await res.json()).to.deep.equal({ ready: false, failing: ['database'] });
  });

  it('counts a check that throws as failing', async () => {
    const base = await start([
      { name: 'ok', check: () => true },
      {
        name: 'broken',
        check: () => {
          throw new Error('boom');
        },
      },
    ]);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).to.equal(503);
    expect(await res.json()).to.deep.equal({ ready: false, failing: ['broken'] });
  });

  it('serves the agent metrics and process metrics in Prometheus text format', async () => {
    metrics.events.inc({ type: 'attach', outcome: 'configured' });
    metrics.deadLetters.inc({ reason: 'invalid' });
    metrics.interfacesConfigured.set(3);
    metrics.handlerDuration.observe({ type: 'attach', result: 'ok' }, 0.2);
    metrics.applyDuration.observe({ backend: 'netplan', result: 'ok' }, 0.2);
    metrics.retries.inc();
    metrics.resyncRuns.inc({ outcome: 'ok' });
    const res = await fetch(`${await start()}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    const text = await res.text();
    expect(text).to.contain('multinic_events_total{type="attach",outcome="configured"} 1');
    expect(text).to.contain('multinic_dead_letters_total{reason="invalid"} 1');
    expect(text).to.contain('multinic_interfaces_configured 3');
    // Issue 16: the handler's time is its own histogram; apply_duration times the apply alone.
    expect(text).to.contain('multinic_handler_duration_seconds_bucket{le="0.25",type="attach",result="ok"} 1');
    expect(text).to.contain('multinic_apply_duration_seconds_bucket{le="0.25",backend="netplan",result="ok"} 1');
    expect(text).to.contain('multinic_retries_total 1');
    expect(text).to.contain('multinic_resync_runs_total{outcome="ok"} 1');
    // Issue 16: the standard names, unprefixed, so stock Node.js dashboards find them.
    expect(text).to.match(/^process_cpu_seconds_total /m);
    expect(text).to.not.contain('multinic_process_');
    expect(text).to.match(/^multinic_build_info\{version="\d+\.\d+\.\d+[^"]*",role="agent"\} 1$/m);
  });

  it('answers anything else with 404', async () => {
    const base = await start();
    expect((await fetch(`${base}/`)).status).to.equal(404);
    expect((await fetch(`${base}/metrics/extra`)).status).to.equal(404);
  });

  it('closes promptly even with a keep-alive client connected', async () => {
    const base = await start();
    await fetch(`${base}/healthz`, { headers: { connection: 'keep-alive' } });
    await server!.close();
    server = undefined;
    let refused = false;
    await fetch(`${base}/healthz`).catch(() => (refused = true));
    expect(refused).to.equal(true);
  });
});
