import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Registry } from 'prom-client';
import { startAgent, type RunningAgent } from '../../src/roots/agent.js';
import { startPublisher, type RunningPublisher } from '../../src/roots/publisher.js';
import { uniqueSuffix } from '../helpers/ids.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { CommandFailedError } from '../../src/host/command.js';
import { FakeSysfs, type FakeNic } from '../../src/sandbox/fake-sysfs.js';
import { sandboxApplyArgv, sandboxApplyRunner } from '../../src/sandbox/runner.js';
import { createRegistry } from '../../src/http/metrics.js';
import { createRingLogger } from '../../src/log/logger.js';

const run = promisify(execFile);

/** The environment every role shares: database, broker, Kubernetes API. */
export interface SandboxEnv {
  db: Config['db'];
  amqpUrl: string;
  kubeconfigPath: string;
}

/** Builds a Config as the deployment would, from environment variables only. */
export function configFrom(env: SandboxEnv, extra: Record<string, string>): Config {
  return loadConfig({
    env: {
      DB_HOST: env.db.host,
      DB_PORT: String(env.db.port),
      DB_USER: env.db.user,
      DB_PASSWORD: env.db.password,
      DB_NAME: env.db.name,
      AMQP_URL: env.amqpUrl,
      KUBECONFIG: env.kubeconfigPath,
      ...extra,
    },
  });
}

/** One file of a netplan directory, exact bytes. */
export interface NetplanFile {
  name: string;
  content: string;
  bytes: Buffer;
}

/** Every file in `dir`, sorted by name, exact bytes. */
export async function readNetplanFiles(dir: string): Promise<NetplanFile[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (name) => {
    const bytes = await readFile(join(dir, name));
    return { name, content: bytes.toString('utf8'), bytes };
  }));
}

/** The value of metric `name` with `labels` in `registry`; 0 when absent. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

/**
 * What the end-to-end tests hold of an agent, wherever it runs: the running agent, its
 * registry and log, its netplan files, and an apply gate that counts every apply and
 * fails it while `failApplyWhile` names a MAC found in the files.
 */
export abstract class AgentUnderTest {
  applies = 0;
  failApplyWhile: string | null = null;
  agent!: RunningAgent;
  readonly registry: Registry = createRegistry();
  readonly ring = createRingLogger('e2e-agent', 5000);

  abstract get netplanDir(): string;

  /** Called before each apply: counts it; throws CommandFailedError as a broken apply would while `failApplyWhile` is in the files. */
  async gateApply(argv: readonly string[]): Promise<void> {
    this.applies++;
    if (this.failApplyWhile && (await this.files()).some((f) => f.content.includes(this.failApplyWhile!))) {
      throw new CommandFailedError(argv, 1, null, 'simulated: netplan apply failed');
    }
  }

  /** Every file in the netplan dir, exact bytes. */
  files(): Promise<NetplanFile[]> {
    return readNetplanFiles(this.netplanDir);
  }

  metric(name: string, labels: Record<string, string>): Promise<number> {
    return metricValue(this.registry, name, labels);
  }
}

/**
 * One agent in a sandbox root: its own netplan and backup dirs, a fake sysfs tree with
 * the NICs given, and the real `multinic sandbox-apply` argv as NETPLAN_APPLY_COMMAND.
 * The runner executes that same command in-process (no tsx start-up per apply) and
 * counts every apply; `failApplyWhile` makes applies fail while a file mentions a MAC.
 */
export class SandboxAgent extends AgentUnderTest {
  private constructor(
    readonly kubeName: string,
    readonly root: string,
    readonly sysfs: FakeSysfs,
  ) {
    super();
  }

  get netplanDir(): string {
    return join(this.root, 'etc', 'netplan');
  }

  static async start(kubeName: string, env: SandboxEnv, nics: FakeNic[]): Promise<SandboxAgent> {
    const root = await mkdtemp(join(tmpdir(), `multinic-e2e-${kubeName}-`));
    const sysfs = await FakeSysfs.create(nics, root);
    const a = new SandboxAgent(kubeName, root, sysfs);
    await mkdir(a.netplanDir, { recursive: true });
    const applyArgv = sandboxApplyArgv('bin/multinic.js', a.netplanDir, sysfs.root);
    const config = configFrom(env, {
      NODE_NAME: kubeName,
      NETPLAN_DIR: a.netplanDir,
      // The sandbox is netplan's; detection would look at the machine's own NetworkManager.
      AGENT_BACKEND: 'netplan',
      NETPLAN_BACKUP_DIR: join(root, 'backups'),
      SYSFS_NET_DIR: sysfs.root,
      NETPLAN_APPLY_COMMAND: JSON.stringify(applyArgv),
      AGENT_NIC_WAIT: '3s',
      AGENT_MAX_RETRIES: '1',
      AGENT_RESYNC_INTERVAL: '10m',
    });
    const runner = sandboxApplyRunner({
      netplanDir: a.netplanDir,
      sysfsDir: sysfs.root,
      log: a.ring.log,
      beforeApply: (argv) => a.gateApply(argv),
    });
    a.agent = await startAgent({ config, log: a.ring.log, registry: a.registry, overrides: { run: runner, addresses: async () => [], kernel: null } });
    return a;
  }

  /** Runs the real `netplan generate` on a copy of this agent's files; returns the networkd files it wrote. */
  async generate(): Promise<string> {
    const scratch = await mkdtemp(join(tmpdir(), 'multinic-e2e-generate-'));
    try {
      await cp(this.netplanDir, join(scratch, 'etc', 'netplan'), { recursive: true });
      await run('netplan', ['generate', '--root-dir', scratch]);
      const dir = join(scratch, 'run', 'systemd', 'network');
      const names = await readdir(dir);
      return (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async stop(): Promise<void> {
    await this.agent?.stop().catch(() => undefined);
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Everything an end-to-end suite started; `stopAll` stops what is there, in order, and ignores what failed to start. */
export interface E2eParts {
  agents: Array<{ stop(): Promise<void> } | undefined>;
  publisher?: { stop(): Promise<void> };
  kube?: { close(): Promise<void> };
  vhost?: { delete(): Promise<void> };
  db?: { drop(): Promise<void> };
}

/** Stops agents first (they hold queues), then the publisher, the fake Kubernetes API, the vhost and the database. */
export async function stopAll({ agents, publisher, kube, vhost, db }: E2eParts): Promise<void> {
  for (const a of agents) await a?.stop();
  await publisher?.stop().catch(() => undefined);
  await kube?.close().catch(() => undefined);
  await vhost?.delete().catch(() => undefined);
  await db?.drop();
}

/** The real publisher in process, polling every second, under a lock name of its own (`<prefix>-<unique>`). */
export function startSandboxPublisher(env: SandboxEnv, prefix: string): RunningPublisher {
  return startPublisher({
    config: configFrom(env, { PUBLISHER_POLL_INTERVAL: '1s', PUBLISHER_LOCK_NAME: `${prefix}-${uniqueSuffix()}` }),
    log: createRingLogger(`${prefix}-publisher`).log,
    registry: createRegistry(),
  });
}
