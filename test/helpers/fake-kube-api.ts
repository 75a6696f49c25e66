import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A small Kubernetes API server of the tests' own, for running the REAL
 * `@kubernetes/client-node` without a cluster. It implements only what MultiNIC uses:
 * `GET /api/v1/nodes/{name}` and `PATCH /api/v1/nodes/{name}` with
 * `application/merge-patch+json` (RFC 7386: null deletes, objects merge recursively,
 * anything else replaces), and core/v1 Events: `POST /api/v1/namespaces/{ns}/events`
 * (409 AlreadyExists for a taken name) and `PATCH .../events/{name}` (merge patch; 404 for
 * an unknown or expired one). Unknown nodes answer 404, other patch content types 415, a
 * missing or wrong bearer token 401 — each with a Kubernetes `Status` body.
 */

/** What to do with the next request(s) instead of serving them. */
export type KubeFault = number | 'timeout' | 'reset';

export interface RecordedRequest {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  contentType: string | undefined;
  /** Whether the dummy bearer token was presented (the token itself is not recorded). */
  authorized: boolean;
  /** Parsed JSON when the body is JSON, else the raw text ('' when empty). */
  body: unknown;
  /** The injected fault this request met, if any. */
  fault?: KubeFault;
}

export interface KubeNodeObject {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  } & Record<string, unknown>;
  [key: string]: unknown;
}

export interface FakeKubeApi {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** A kubeconfig (in a temp dir, removed by close) pointing at this server with a dummy token. */
  kubeconfigPath: string;
  /** The node's current object (a copy), or undefined for an unknown node. */
  node(name: string): KubeNodeObject | undefined;
  /** Every request received, in order, including faulted ones. */
  requests: RecordedRequest[];
  /** Every core/v1 Event stored, as the server holds it (a copy), in creation order. */
  events(): Array<Record<string, any>>;
  /** Deletes every stored Event, as their one-hour expiry would. */
  expireEvents(): void;
  /** The next `count` requests meet `fault`: an HTTP status, no answer at all, or a reset socket. */
  failNext(count: number, fault: KubeFault): void;
  close(): Promise<void>;
}

const TOKEN = 'fake-kube-api-dummy-token';
const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

/** RFC 7386 JSON merge patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function start({ nodes }: { nodes: string[] }): Promise<FakeKubeApi> {
  const store = new Map<string, KubeNodeObject>();
  let version = 1;
  for (const name of nodes) {
    store.set(name, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, uid: `uid-${name}`, resourceVersion: String(version++), creationTimestamp: '2024-01-01T00:00:00Z', labels: { 'kubernetes.io/hostname': name }, annotations: {} },
    });
  }
  const requests: RecordedRequest[] = [];
  const events = new Map<string, Record<string, any>>();
  const faults: KubeFault[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void readBody(req).then((text) => serve(req, res, text));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function serve(req: IncomingMessage, res: ServerResponse, text: string): void {
    const fault = faults.shift();
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      contentType: req.headers['content-type']?.split(';')[0]?.trim(),
      authorized: req.headers.authorization === `Bearer ${TOKEN}`,
      body: parseJson(text),
      ...(fault !== undefined ? { fault } : {}),
    };
    requests.push(recorded);
    if (fault === 'timeout') return; // hold the request open; close() destroys the socket
    if (fault === 'reset') return void req.socket.destroy();
    if (typeof fault === 'number') return status(res, fault, `injected fault ${fault}`);
    if (!recorded.authorized) return status(res, 401, 'Unauthorized');

    const ev = /^\/api\/v1\/namespaces\/([^/?]+)\/events(?:\/([^/?]+))?(?:\?.*)?$/.exec(recorded.path);
    if (ev) return serveEvent(res, recorded, decodeURIComponent(ev[1]!), ev[2] === undefined ? undefined : decodeURIComponent(ev[2]));
    const match = /^\/api\/v1\/nodes\/([^/?]+)(?:\?.*)?$/.exec(recorded.path);
    if (!match) return status(res, 404, `the server could not find the requested resource (${recorded.method} ${recorded.path})`);
    const name = decodeURIComponent(match[1]!);
    const current = store.get(name);
    if (recorded.method === 'GET') {
      return current ? json(res, 200, current) : status(res, 404, `nodes "${name}" not found`);
    }
    if (recorded.method !== 'PATCH') return status(res, 405, `method ${recorded.method} not allowed`);
    if (recorded.contentType !== 'application/merge-patch+json') {
      return status(res, 415, `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (got ${recorded.contentType})`);
    }
    if (!isObject(recorded.body)) return status(res, 400, 'the patch must be a JSON object');
    if (!current) return status(res, 404, `nodes "${name}" not found`);
    const next = applyMergePatch(current, recorded.body) as KubeNodeObject;
    // The server owns identity; a patch cannot rename the node or move its version.
    next.metadata = { ...next.metadata, name, uid: current.metadata.uid, resourceVersion: String(version++) };
    store.set(name, next);
    json(res, 200, next);
  }

  /** core/v1 Events: create (POST, JSON) and merge-patch (PATCH) by namespace and name. */
  function serveEvent(res: ServerResponse, r: RecordedRequest, namespace: string, name: string | undefined): void {
    if (!isObject(r.body)) return status(res, 400, 'the body must be a JSON object');
    if (r.method === 'POST' && name === undefined) {
      const body = r.body as Record<string, any>;
      const key = `${namespace}/${body.metadata?.name}`;
      if (!body.metadata?.name) return status(res, 422, 'metadata.name is required');
      if (events.has(key)) return status(res, 409, `events "${body.metadata.name}" already exists`);
      const stored = { apiVersion: 'v1', kind: 'Event', ...body, metadata: { ...body.metadata, namespace, uid: `uid-${body.metadata.name}`, resourceVersion: String(version++) } };
      events.set(key, stored);
      return json(res, 201, stored);
    }
    if (r.method === 'PATCH' && name !== undefined) {
      if (r.contentType !== 'application/merge-patch+json') return status(res, 415, `unsupported patch type ${r.contentType}`);
      const current = events.get(`${namespace}/${name}`);
      if (!current) return status(res, 404, `events "${name}" not found`);
      const next = applyMergePatch(current, r.body) as Record<string, any>;
      next.metadata = { ...next.metadata, name, namespace, resourceVersion: String(version++) };
      events.set(`${namespace}/${name}`, next);
      return json(res, 200, next);
    }
    return status(res, 405, `method ${r.method} not allowed`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'fake-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig(url), { mode: 0o600 });

  return {
    url,
    kubeconfigPath,
    node: (name) => {
      const n = store.get(name);
      return n ? structuredClone(n) : undefined;
    },
    requests,
    events: () => [...events.values()].map((e) => structuredClone(e)),
    expireEvents: () => events.clear(),
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function kubeconfig(server: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user: { token: TOKEN } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
    'current-context': 'fake',
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseJson(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A Kubernetes `Status` failure body, the shape the real API server answers errors with. */
function status(res: ServerResponse, code: number, message: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? 'Unknown', code });
}
