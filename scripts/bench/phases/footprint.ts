import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { FakeSysfs } from '../../../src/sandbox/fake-sysfs.js';
import { CliProcess, dbEnv } from '../cli-process.js';
import type { BenchEnv } from '../env.js';
import { kernelName, mac, nodeName } from '../fixture.js';

/** The image's NODE_OPTIONS (Dockerfile `ENV NODE_OPTIONS`): a smaller young generation and one V8 worker thread. */
export const IMAGE_NODE_OPTIONS = '--max-semi-space-size=2 --v8-pool-size=1';

/** One `multinic agent` process alone: the deployment's unit (one agent per node). */
export interface SingleAgentFigures {
  startToConsumingMs: number;
  idleRssBytes: number;
  /** How it ran: from the TypeScript sources through tsx, or from dist/; kube.mode; NODE_OPTIONS. */
  runtime: string;
  /** kube.mode: `log` (no Kubernetes client loaded) or `api` (the real client, against a stand-in API server). */
  kubeMode?: 'log' | 'api';
}

/**
 * A stand-in Kubernetes API server for the api-mode footprint: answers every request
 * (the start-up resync's Node PATCH) with 200 and a minimal Node, so the real client is
 * loaded and used once. Plain HTTP, which the client accepts with insecure-skip-tls-verify.
 */
async function standInApiServer(dir: string): Promise<{ kubeconfig: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName(0) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster:
    server: http://127.0.0.1:${port}
    insecure-skip-tls-verify: true
` +
      `users:
- name: bench
  user:
    token: bench
contexts:
- name: bench
  context:
    cluster: bench
    user: bench
current-context: bench
`,
    { mode: 0o600 },
  );
  return { kubeconfig, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Starts the real `multinic agent` for node 0 (its rows all configured, so it idles after
 * the start-up resync), times spawn -> the trigger's "consuming" log record, waits for the
 * start-up garbage to settle and reads its RSS from /proc.
 */
export async function measureSingleAgent(
  env: BenchEnv,
  opts: { interfaces: number; rootDir: string; settleMs: number; cpuProfDir?: string; compiledMain?: string; kubeMode?: 'log' | 'api'; nodeOptions?: string },
): Promise<SingleAgentFigures> {
  const kubeMode = opts.kubeMode ?? 'log';
  const dir = join(opts.rootDir, `single-agent${opts.compiledMain ? '-dist' : ''}-${kubeMode}`);
  await mkdir(join(dir, 'netplan'), { recursive: true });
  const api = kubeMode === 'api' ? await standInApiServer(dir) : undefined;
  const sysfs = await FakeSysfs.create(Array.from({ length: opts.interfaces }, (_, j) => ({ name: kernelName(j), mac: mac(0, j) })), dir);
  const logFile = `${dir}.log`;
  const p = CliProcess.start(
    // Its own folders and a fake sysfs, not a Kubernetes node: said explicitly, as the agent requires.
    ['agent', '--node', nodeName(0), '--http-port', '0', '--configure-this-host'],
    {
      ...dbEnv(env.users.agent),
      AMQP_URL: env.vhost.url,
      NETPLAN_DIR: join(dir, 'netplan'),
      NETPLAN_BACKUP_DIR: join(dir, 'backup'),
      SYSFS_NET_DIR: sysfs.root,
      // Harmless: nothing is pending, and a bare `netplan apply` must never run on this machine.
      NETPLAN_APPLY_COMMAND: '/bin/true',
      IP_COMMAND: '',
      AGENT_BACKEND: 'netplan',
      KUBE_MODE: kubeMode,
      ...(api ? { KUBECONFIG: api.kubeconfig } : {}),
      NODE_OPTIONS: opts.nodeOptions ?? '',
      LOG_LEVEL: 'info',
    },
    logFile,
    opts.cpuProfDir,
    opts.compiledMain,
  );
  try {
    await p.waitForLog((r) => r.msg === 'consuming', 60_000, 'the single agent to consume', logFile);
    const startToConsumingMs = Date.now() - p.startedAt;
    await new Promise((r) => setTimeout(r, opts.settleMs));
    const idleRssBytes = await p.rssBytes();
    const base = opts.compiledMain ? 'compiled JavaScript (tsc -p tsconfig.build.json), as the image runs it' : 'bin/multinic.js from the TypeScript sources (tsx loader)';
    const runtime = `${base}; kube.mode=${kubeMode}; NODE_OPTIONS=${JSON.stringify(opts.nodeOptions ?? '')}`;
    return { startToConsumingMs, idleRssBytes, runtime, kubeMode };
  } finally {
    await p.stop();
    await api?.close();
  }
}

/**
 * Compiles src/ the way the image does (tsconfig.build.json) into node_modules/.cache, so
 * its imports still resolve through the checkout's node_modules and the tree stays clean.
 * Returns the compiled cli/main.js, or undefined when the build fails.
 */
export async function buildForFootprint(): Promise<string | undefined> {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const outDir = join(root, 'node_modules/.cache/multinic-bench-dist');
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const ok = await new Promise<boolean>((resolve) => {
    execFile(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false'], { timeout: 180_000 }, () =>
      // tsc emits despite type errors in files other helpers are still writing; what matters is the output.
      resolve(existsSync(join(outDir, 'cli/main.js'))),
    );
  });
  return ok ? join(outDir, 'cli/main.js') : undefined;
}
