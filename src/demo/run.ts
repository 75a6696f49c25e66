import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { ManagementClient } from '../amqp/management.js';
import type { Config } from '../config/schema.js';
import { createSequelize, migrate, seed, SEED } from '../db/index.js';
import { Labels, type NodePatch } from '../kube/patch.js';
import type { Log } from '../log/logger.js';
import { createRegistry } from '../http/metrics.js';
import { startPublisher, type RunningPublisher } from '../roots/publisher.js';
import { createDemoDatabase, createDemoVhost, type Created } from './provision.js';
import { collectOutcome, type DemoInterface, type DemoNode } from './report.js';
import { demoConfig, recordingPatcher, startDemoAgent, type DemoAgent, type DemoBackend, type DemoServices } from './sandbox.js';
import { DemoFailedError } from './errors.js';
import { chooseMode, waitForKernel } from './lab.js';
import { checkAmqpPort, checkDbTcp, checkManagement, connectDbAdmin, findExecutable, type AdminAccess } from './services.js';

export { DemoFailedError };

/** Where the demo reports what it is doing; the CLI prints it, tests collect it. */
export interface Progress {
  step(text: string): void;
  /** Seeded pending interfaces now configured, out of all of them. */
  count(done: number, total: number): void;
}

export interface DemoOptions {
  keep: boolean;
  /** Force the fake sysfs sandbox even where the network lab could run (`--sandbox`). */
  sandbox?: boolean;
  /** The nodes' host backend (`--backend`); default `netplan`. `networkmanager` needs the network lab. */
  backend?: DemoBackend;
  /** Give up after this long; default 60 s. */
  timeoutMs?: number;
  access: AdminAccess;
  /** The user's own database (DB_* given): used as is, never dropped. */
  useDb?: Config['db'];
  /** The user's own broker vhost (AMQP_URL given): used as is, never deleted. */
  useAmqpUrl?: string;
  /** PATH, to find netplan. */
  path: string;
  /** `--keep` puts the sandbox under `<cwd>/.sandbox/demo-<id>`. */
  cwd: string;
  /** bin/multinic.js, for the sandbox-apply argv shown as NETPLAN_APPLY_COMMAND. */
  binPath: string;
  progress: Progress;
  /** Every role logs here (a ring buffer in the CLI, shown on failure). */
  log: Log;
  /** Aborting (Ctrl-C) stops the demo and cleans up. */
  signal?: AbortSignal;
  randomId: () => string;
  randomPassword: () => string;
  sleep?: (ms: number) => Promise<void>;
}

/** What `multinic demo --json` prints. */
export interface DemoReport {
  id: string;
  elapsedMs: number;
  database: string;
  vhost: string;
  /** Management UI page of the vhost's queues. */
  managementUi: string;
  queues: string[];
  netplanValidation: 'netplan generate' | 'skipped: netplan not installed';
  /**
   * `lab`: each node a network-lab node (real systemd-networkd and `netplan apply` in
   * namespaces, the seed's NICs as veths); `sandbox`: a fake sysfs tree and sandbox apply.
   */
  mode: 'lab' | 'sandbox';
  /** The nodes' host backend (`--backend`): netplan or NetworkManager. */
  backend: DemoBackend;
  /** Why this mode: the lab's id, `--sandbox`, or what the lab lacked here. */
  modeReason: string;
  /** The lab's id and each node's network namespace (all removed on exit); null in the sandbox. */
  lab: { id: string; dir: string; nodes: Array<{ node: string; netns: string }> } | null;
  interfaces: DemoInterface[];
  nodes: DemoNode[];
  sandboxDir: string;
  /** Set with --keep: the env file for `multinic status` and the commands to clean up. */
  kept: { envFile: string; cleanup: string[] } | null;
}

const POLL_MS = 200;
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `multinic demo` as a function: checks the local services, creates a throwaway
 * database and vhost (each with its own user and random password), migrates and seeds,
 * starts the publisher and one agent per seeded node IN PROCESS on sandbox roots, waits
 * until every seeded interface is configured and each Node patch says ready, and
 * returns the outcome. Everything it created is removed on the way out (success,
 * failure, timeout or abort) unless `keep`.
 */
export async function runDemo(o: DemoOptions): Promise<DemoReport> {
  const started = Date.now();
  const sleep = o.sleep ?? defaultSleep;
  const id = o.randomId();
  const created: Created[] = [];
  const stops: Array<() => Promise<void>> = [];
  let admin: mysql.Connection | undefined;
  let sequelize: Sequelize | undefined;
  let failed = true;
  const check = () => {
    if (o.signal?.aborted) throw new DemoFailedError('interrupted; cleaning up');
  };
  // The sandbox's apply is netplan's: a NetworkManager node needs the real daemon. Said before anything is created.
  if (o.backend === 'networkmanager' && o.sandbox) throw new DemoFailedError('--backend networkmanager needs the network lab (a real NetworkManager per node); it cannot run with --sandbox');
  try {
    o.progress.step('checking local services (MariaDB, RabbitMQ, netplan)');
    let management: ManagementClient | undefined;
    if (!o.useDb) {
      admin = await connectDbAdmin(o.access);
      await checkDbTcp(o.access);
    }
    if (!o.useAmqpUrl) {
      management = await checkManagement(o.access);
      await checkAmqpPort(o.access.amqpHost);
    } else {
      await checkAmqpPort(new URL(o.useAmqpUrl).host || 'localhost:5672');
    }
    const netplan = await findExecutable('netplan', o.path);
    o.progress.step(netplan ? `netplan found (${netplan}): every file is validated with \`netplan generate\`` : 'netplan is NOT installed: running WITHOUT netplan validation (apt-get install -y netplan.io adds it)');
    check();

    const db = o.useDb ?? (await createDemoDatabase(admin!, o.access, { id, password: o.randomPassword(), created: (c) => created.push(c) }));
    o.progress.step(o.useDb ? `using your database ${db.name} (DB_* given; it is not dropped)` : `created database ${db.name} and its user`);
    const amqp = o.useAmqpUrl ? { vhost: decodeURIComponent(new URL(o.useAmqpUrl).pathname.slice(1)) || '/', url: o.useAmqpUrl } : await createDemoVhost(management!, o.access, { id, password: o.randomPassword(), created: (c) => created.push(c) });
    o.progress.step(o.useAmqpUrl ? `using your RabbitMQ vhost ${amqp.vhost} (AMQP_URL given; it is not deleted)` : `created RabbitMQ vhost ${amqp.vhost} and its user`);
    check();

    sequelize = createSequelize(db);
    const applied = await migrate(sequelize, { info: () => undefined });
    const counts = await seed(sequelize);
    o.progress.step(`migrated (${applied.length} migrations) and seeded ${counts.nodes} nodes, ${counts.interfaces} interfaces`);
    check();

    const sandboxDir = o.keep ? join(o.cwd, '.sandbox', `demo-${id}`) : await mkdtemp(join(tmpdir(), `multinic-demo-${id}-`));
    await mkdir(sandboxDir, { recursive: true, mode: 0o700 });
    if (!o.keep) created.push({ what: `sandbox ${sandboxDir}`, remove: () => rm(sandboxDir, { recursive: true, force: true }) });
    const services: DemoServices = { db, amqpUrl: amqp.url, generateCommand: netplan ?? '' };
    const specs = SEED.nodes.map((n, idx) => ({ node: n.attached_node_name, macs: SEED.interfaces.filter((i) => i.node === idx).map((i) => i.macaddress) }));
    const { lab, reason: modeReason } = await chooseMode(specs, { ...o, netplan: netplan !== undefined });
    // Stopped after the agents (stops run in reverse): nothing may apply into a vanished node.
    if (lab) stops.push(() => lab.stop());
    check();

    const publisher: RunningPublisher = startPublisher({
      config: demoConfig(services, { PUBLISHER_POLL_INTERVAL: '250ms', PUBLISHER_LOCK_NAME: `multinic-demo-${id}` }),
      log: o.log.child({ role: 'publisher' }),
      registry: createRegistry(),
    });
    stops.push(() => publisher.stop());
    o.progress.step('publisher started (in process, polling every 250 ms)');

    const patches = new Map<string, NodePatch>();
    const shown = new Map<string, string>();
    const nodes = recordingPatcher(o.log.child({ role: 'kube' }), (node, patch) => {
      patches.set(node, patch);
      const labels = Object.entries(patch.metadata.labels).map(([k, v]) => `${k}=${v}`).join(' ');
      if (shown.get(node) !== labels) o.progress.step(`Node patch for ${node} (KUBE_MODE=log, not sent): ${labels}`);
      shown.set(node, labels);
    });
    const agents: DemoAgent[] = [];
    for (const { node, macs } of specs) {
      const log = o.log.child({ role: 'agent' });
      const a = await startDemoAgent({ node, macs, root: sandboxDir, services, binPath: o.binPath, log, nodes, signal: o.signal, place: lab?.place(node, log.child({ node })) });
      agents.push(a);
      stops.push(() => a.agent.stop());
      o.progress.step(lab
        ? o.backend === 'networkmanager'
          ? `agent for ${node} started (in process, on the host; AGENT_BACKEND=networkmanager, NM_CONNECTIONS_DIR, NMCLI_COMMAND, IP_COMMAND and SYSFS_NET_DIR point into lab node ${lab.nodes.get(node)!.netns})`
          : `agent for ${node} started (in process, on the host; NETPLAN_DIR, SYSFS_NET_DIR and NETPLAN_APPLY_COMMAND point into lab node ${lab.nodes.get(node)!.netns})`
        : `agent for ${node} started (in process; sandbox ${a.root}, ${macs.length} fake NICs)`);
    }

    const timeoutMs = o.timeoutMs ?? 60_000;
    await waitUntilConfigured(sequelize, patches, { ...o, sleep, timeoutMs, started });
    if (lab) await waitForKernel(lab, o, Math.max(0, Math.min(10_000, timeoutMs - (Date.now() - started))));
    const outcome = await collectOutcome(sequelize, agents, patches, services.generateCommand, lab ? (node) => lab.kernel(node) : undefined);
    if (outcome.nodes.some((n) => n.valid === false)) throw new DemoFailedError('netplan generate rejected the files the agents wrote (see the sandbox)');
    const report: DemoReport = {
      id,
      elapsedMs: 0,
      database: db.name,
      vhost: amqp.vhost,
      managementUi: `${managementBase(o.access.managementUrl)}/#/queues/${encodeURIComponent(amqp.vhost)}`,
      queues: [...SEED.nodes.map((n) => `multinic.node.${n.attached_node_name}`), 'multinic.dead', 'multinic.unroutable'],
      netplanValidation: netplan ? 'netplan generate' : 'skipped: netplan not installed',
      mode: lab ? 'lab' : 'sandbox',
      modeReason,
      backend: o.backend ?? 'netplan',
      lab: lab ? { id: lab.id, dir: lab.dir, nodes: [...lab.nodes].map(([node, n]) => ({ node, netns: n.netns })) } : null,
      ...outcome,
      sandboxDir,
      kept: o.keep ? await keepInstructions(sandboxDir, db, amqp, o) : null,
    };
    failed = false;
    report.elapsedMs = Date.now() - started;
    return report;
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => o.log.warn({ err }, 'stopping a demo role failed'));
    await sequelize?.close().catch(() => undefined);
    if (!o.keep || failed) {
      for (const c of created.reverse()) await c.remove().catch((err: unknown) => o.progress.step(`could not remove ${c.what}: ${(err as Error).message}`));
      if (created.length) o.progress.step(`cleaned up: ${created.map((c) => c.what).join(', ')}`);
    }
    await admin?.end().catch(() => undefined);
  }
}

/** Polls the database until every seeded row is configured and each node's patch says ready. */
async function waitUntilConfigured(
  db: Sequelize,
  patches: ReadonlyMap<string, NodePatch>,
  o: Pick<DemoOptions, 'progress' | 'signal'> & { sleep: (ms: number) => Promise<void>; timeoutMs: number; started: number },
): Promise<void> {
  const pending = SEED.interfaces.filter((i) => i.netplan_success === 0).map((i) => i.port_id);
  const all = SEED.interfaces.map((i) => i.port_id);
  let last = -1;
  for (;;) {
    const rows = await db.query<{ port_id: string; netplan_success: number }>('SELECT port_id, netplan_success FROM multi_interface WHERE port_id IN (?)', { replacements: [all], type: QueryTypes.SELECT });
    const ok = new Set(rows.filter((r) => Number(r.netplan_success) === 1).map((r) => r.port_id));
    const done = pending.filter((p) => ok.has(p)).length;
    if (done !== last) o.progress.count(done, pending.length);
    last = done;
    const ready = SEED.nodes.every((n, idx) => {
      const labels = patches.get(n.attached_node_name)?.metadata.labels;
      return labels?.[Labels.Ready] === 'true' && labels[Labels.InterfaceCount] === String(SEED.interfaces.filter((i) => i.node === idx).length);
    });
    if (ok.size === all.length && ready) return;
    if (o.signal?.aborted) throw new DemoFailedError(`interrupted (configured ${done}/${pending.length}); cleaning up`);
    if (Date.now() - o.started > o.timeoutMs) {
      throw new DemoFailedError(`timed out after ${Math.round(o.timeoutMs / 1000)} s: configured ${done}/${pending.length} pending interfaces; every Node ready: ${ready}`);
    }
    await o.sleep(POLL_MS);
  }
}

function managementBase(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
}

/** --keep: an env file (0600, the passwords stay off the screen) and the clean-up commands. */
async function keepInstructions(dir: string, db: Config['db'], amqp: { vhost: string; url: string }, o: DemoOptions): Promise<{ envFile: string; cleanup: string[] }> {
  const envFile = join(dir, 'demo.env');
  const env = { DB_HOST: db.host, DB_PORT: String(db.port), DB_USER: db.user, DB_PASSWORD: db.password, DB_NAME: db.name, AMQP_URL: amqp.url };
  await writeFile(envFile, Object.entries(env).map(([k, v]) => `${k}='${v.replaceAll("'", "'\\''")}'\n`).join(''), { mode: 0o600 });
  const api = managementBase(o.access.managementUrl);
  const cleanup: string[] = [];
  if (!o.useDb) cleanup.push(`mysql -u root -e "DROP DATABASE ${db.name}; DROP USER '${db.user}'@'%', '${db.user}'@'localhost'"`);
  if (!o.useAmqpUrl) {
    cleanup.push(`curl -fsS -u guest:guest -X DELETE ${api}/api/vhosts/${encodeURIComponent(amqp.vhost)}`);
    cleanup.push(`curl -fsS -u guest:guest -X DELETE ${api}/api/users/${encodeURIComponent(amqp.vhost)}`);
  }
  cleanup.push(`rm -rf ${dir}`);
  return { envFile, cleanup };
}
