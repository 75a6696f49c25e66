import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';

/** A check's answer with a line for the operator, e.g. `{ ok: true, detail: 'standby: another replica holds the lock' }`. */
export interface ReadinessResult {
  ok: boolean;
  detail?: string;
}

/** One readiness condition, e.g. `{ name: 'amqp', check: () => trigger.consuming() }`. */
export interface ReadinessCheck {
  name: string;
  check: () => boolean | ReadinessResult | Promise<boolean | ReadinessResult>;
}

export interface HttpServerOptions {
  /** 0 picks a free port; the returned `port` says which. */
  port: number;
  /** `http.host` (HTTP_HOST). Default `127.0.0.1`; the deployments pass the pod IP, `0.0.0.0` is every interface. */
  host?: string;
  registry: Registry;
  readiness: ReadinessCheck[];
  log: Pick<Log, 'info' | 'warn' | 'error'>;
}

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/** A check that does not answer within this long counts as failing, so /readyz never hangs a probe. */
const CHECK_TIMEOUT_MS = 3_000;

async function runCheck({ check }: ReadinessCheck): Promise<ReadinessResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const r = await Promise.race([Promise.resolve().then(check), timeout]);
    return typeof r === 'object' && r !== null ? { ok: r.ok === true, ...(r.detail ? { detail: r.detail } : {}) } : { ok: r === true };
  } catch {
    return { ok: false };
  } finally {
    clearTimeout(timer);
  }
}

/** A listen failure as the setting to fix: the port (HTTP_PORT / --http-port) or the address (HTTP_HOST). */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  if (err.code === 'EADDRINUSE') return new ConfigError('HTTP_PORT (http.port) / --http-port', `port ${port} is already in use on ${host}; choose another, or 0 for a free one`, { cause: err });
  if (err.code === 'EACCES') return new ConfigError('HTTP_PORT (http.port) / --http-port', `not allowed to listen on ${where} (ports below 1024 need privileges)`, { cause: err });
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new ConfigError('HTTP_HOST (http.host)', `cannot listen on ${where}: ${host} is not an address of this host (${err.code})`, { cause: err });
  }
  return err;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Health and metrics over plain node:http (no framework, nothing to configure):
 * `GET /healthz` 200 `ok` while the process is alive; `GET /readyz` 200 when every check
 * passes, else 503 with `{ "ready": false, "failing": [names] }`, plus `"detail": { name: line }`
 * for the checks that gave one (a standby publisher says so while ready); `GET /metrics` the
 * registry in Prometheus text format; anything else 404. `readiness` is read on every
 * request, so a caller may fill it after the server is up. Resolves once listening.
 * @throws ConfigError naming HTTP_PORT / --http-port when the port is in use or not
 *   allowed (EADDRINUSE, EACCES), or HTTP_HOST when the address is not this host's
 *   (EADDRNOTAVAIL) or cannot be resolved (ENOTFOUND).
 */
export async function startHttpServer({ port, host = '127.0.0.1', registry, readiness, log }: HttpServerOptions): Promise<HttpServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    if (path === '/readyz') {
      const results = await Promise.all(readiness.map(async (c) => ({ name: c.name, ...(await runCheck(c)) })));
      const failing = results.filter((r) => !r.ok).map((r) => r.name);
      const details = results.filter((r) => r.detail).map((r) => [r.name, r.detail!] as const);
      const detail = details.length ? { detail: Object.fromEntries(details) } : {};
      const body = JSON.stringify(failing.length ? { ready: false, failing, ...detail } : { ready: true, checks: results.map((r) => r.name), ...detail });
      return send(res, failing.length ? 503 : 200, 'application/json', `${body}\n`);
    }
    if (path === '/metrics') return send(res, 200, registry.contentType, await registry.metrics());
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, path: req.url }, 'HTTP request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  // Probes must not keep a stopping process alive.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err as NodeJS.ErrnoException, host, port)));
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  log.info({ httpPort: actual, host }, 'serving /healthz, /readyz and /metrics');
  return {
    port: actual,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
