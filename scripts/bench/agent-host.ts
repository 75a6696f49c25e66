/**
 * Child process of the bench: hosts the agents of a range of nodes. Each node gets the
 * real agent parts, composed as src/roots/agent.ts composes them — its own NetplanHost over
 * its own temp netplan dir and fake sysfs tree (holding its MACs), its own queue trigger on
 * multinic.node.<node>, the real handler, resync and serializer, a SequelizeInterfaceStore
 * and the log-mode Node patcher. Only the clients are shared per process (one Sequelize
 * pool, one AMQP connection with a channel per node): startAgent builds a pool and a
 * connection per agent, and 100+ pools would exceed the shared MariaDB's max_connections.
 *
 * The write-back is timestamped here: when markConfigured reports the row updated (its
 * autocommit UPDATE has returned), the (port, generation, time) goes to the parent.
 *
 * Lab mode (spec.lab, the bench's lab phase): a node's agent acts on a network-lab node
 * instead (src/lab): its netplan folder and sysfs view, the real `netplan generate` and the
 * real `netplan apply` inside the node, the takeover guard's `ip` run in the node. Every run
 * of the apply argv is counted and timed here and reported to the parent ('apply').
 *
 * Spec in BENCH_AGENT_SPEC (JSON); IPC messages: see AgentHostMessage.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { connectAmqp } from '../../src/amqp/connection.js';
import type { Config } from '../../src/config/index.js';
import { createSequelize } from '../../src/db/index.js';
import { SequelizeInterfaceStore } from '../../src/db/interface-store.js';
import { recordFailure } from '../../src/agent/failure.js';
import { handleInterfaceEvent } from '../../src/agent/handler.js';
import { handleInterfaceEvents } from '../../src/agent/batch-handler.js';
import type { AgentPorts, InterfaceStore } from '../../src/model/ports.js';
import { resyncNode } from '../../src/agent/resync.js';
import { interfaceEventParsing } from '../../src/agent/delivery.js';
import { createSerializer } from '../../src/lib/serial.js';
import { deliveryMetrics } from '../../src/roots/delivery-metrics.js';
import { runCommand, type CommandRunner } from '../../src/host/command.js';
import { ipAddressReader, type AddressReader } from '../../src/host/addresses.js';
import { createIpKernel } from '../../src/host/kernel.js';
import { NetplanHost } from '../../src/host/netplan/host.js';
import { sandboxApply } from '../../src/sandbox/apply.js';
import { createAgentMetrics } from '../../src/http/metrics.js';
import { createLoggingNodePatcher } from '../../src/kube/node-patcher.js';
import { createLogger, type Log } from '../../src/log/logger.js';
import { startQueueTrigger, type QueueTrigger } from '../../src/runtime/queue-trigger.js';
import { FakeSysfs } from '../../src/sandbox/fake-sysfs.js';
import { changeKey, kernelName, mac, nodeName } from './fixture.js';
import type { ApplyMode } from './options.js';
import { StepTimer, type StepTimes } from './timing.js';

export interface AgentHostSpec {
  db: Config['db'];
  amqpUrl: string;
  from: number;
  to: number;
  interfaces: number;
  mode: ApplyMode;
  rootDir: string;
  poolMax: number;
  /** Lab mode: where each node's agent acts, by node index (see LabPlace). */
  lab?: Record<number, LabPlace>;
  /** agent.batchSize of every agent (1 = one event at a time, as before batching). */
  batchSize: number;
}

/** A lab node as an agent on the host sees it (src/lab LabNode's paths and argv). */
export interface LabPlace {
  netplanDir: string;
  sysfsNetDir: string;
  /** The real `netplan apply` in the node (NETPLAN_APPLY_COMMAND). */
  applyCommand: string[];
  /** argv prefix running a command in the node (for the takeover guard's `ip`). */
  enterCommand: string[];
}

export type AgentHostMessage =
  | { t: 'ready'; startToConsumingMs: number[]; rss: number; heapUsed: number }
  | { t: 'written'; items: Array<[string, number]> }
  | { t: 'mem'; rss: number; heapUsed: number; steps: StepTimes; applies: Record<string, number> }
  | { t: 'failed'; reason: string }
  | { t: 'apply'; node: string; startedAt: number; ms: number; ok: boolean }
  | { t: 'stopped' };

const send = (m: AgentHostMessage) => process.send?.(m);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_AGENT_SPEC ?? '{}') as AgentHostSpec;
  const log = createLogger({ name: 'bench-agents', level: 'info', format: 'json', out: process.stderr });
  const sequelize = createSequelize(spec.db, undefined, { poolMax: spec.poolMax });
  const connection = connectAmqp(spec.amqpUrl, { connectionName: `multinic-bench-agents ${spec.from}-${spec.to}`, log });

  let pending: Array<[string, number]> = [];
  const flush = setInterval(() => {
    if (pending.length) send({ t: 'written', items: pending });
    pending = [];
  }, 25);
  const timer = new StepTimer();
  // Applies run so far, by node: the parent takes the difference over a burst.
  const applies: Record<string, number> = {};
  const memTimer = setInterval(() => {
    const m = process.memoryUsage();
    send({ t: 'mem', rss: m.rss, heapUsed: m.heapUsed, steps: timer.steps, applies });
  }, 250);

  const triggers: QueueTrigger[] = [];
  const startToConsuming: number[] = [];
  await Promise.all(
    Array.from({ length: spec.to - spec.from }, async (_, k) => {
      const n = spec.from + k;
      const t0 = Date.now();
      const node = nodeName(n);
      const dir = join(spec.rootDir, node);
      const nodeLog = log.child({ node });
      const countApply = () => void (applies[node] = (applies[node] ?? 0) + 1);
      const place = spec.lab?.[n];
      const { netplanDir, sysfsNetDir, applyCommand, run, addresses } = place ? labHost(place, node, timer, nodeLog, countApply) : await sandboxHost(dir, n, spec.interfaces, timer, nodeLog, countApply);
      const host = timer.wrap('host', new NetplanHost({
        netplanDir,
        backupDir: join(dir, 'backup'),
        backupKeep: 5,
        sysfsNetDir,
        applyCommand,
        applyTimeoutMs: 60_000,
        generateCommand: spec.mode === 'netplan' || place ? 'netplan' : '',
        nicWaitMs: 30_000,
        allowTakeover: false,
        addresses,
        // A lab node's kernel through `ip` in its namespaces; the fake sysfs has none.
        kernel: place ? createIpKernel({ ipCommand: [...place.enterCommand, 'ip'], log: nodeLog }) : null,
        log: nodeLog,
        sleep,
        now: () => new Date(),
        run,
        tmpDir: join(dir, 'tmp'),
      }), ['configure', 'remove', 'applyBatch', 'listConfigured']);
      await mkdir(join(dir, 'tmp'), { recursive: true });
      const inner = timer.wrap('store', new SequelizeInterfaceStore(sequelize), ['getPort', 'getPorts', 'markConfigured', 'markConfiguredMany', 'markRemoved', 'recordOutcome', 'recordOutcomes', 'listNodePorts']);
      const store: InterfaceStore = {
        getPort: (p) => inner.getPort(p),
        getPorts: (p) => inner.getPorts(p),
        recordOutcomes: (r) => inner.recordOutcomes(r),
        markConfigured: async (applied) => {
          const ok = await inner.markConfigured(applied);
          if (ok) pending.push([changeKey(applied.portId, applied.generation), Date.now()]);
          return ok;
        },
        markConfiguredMany: async (applied) => {
          const oks = await inner.markConfiguredMany(applied);
          const at = Date.now();
          for (const [n, a] of applied.entries()) if (oks[n]) pending.push([changeKey(a.portId, a.generation), at]);
          return oks;
        },
        markRemoved: (d) => inner.markRemoved(d),
        recordOutcome: (r) => inner.recordOutcome(r),
        listNodePorts: (name) => inner.listNodePorts(name),
        listNodeNames: () => inner.listNodeNames(),
      };
      const ports: AgentPorts = { store, host, nodes: timer.wrap('kube', createLoggingNodePatcher(nodeLog), ['patchInterfaces']), log: nodeLog, node: { kubeName: node, dbName: node }, now: () => new Date() };
      const serial = createSerializer();
      const metrics = createAgentMetrics(new Registry());
      // startAgent runs a resync at start-up before events matter; so does each bench agent.
      void serial(() => resyncNode(ports)).catch((err: unknown) => nodeLog.warn({ err }, 'resync failed'));
      const trigger = await startQueueTrigger({
        connection,
        node,
        ...interfaceEventParsing({ acceptNodeNames: [node], maxMessageBytes: 65_536 }),
        handler: (event, eventLog) => {
          // Publish (the event's time) -> handler start: broker transit plus this node's queue.
          timer.add('queue wait (event time -> handler)', Date.now() - Date.parse(event.time));
          return timer.time('handler total', () => handleInterfaceEvent(event, { ...ports, log: eventLog }));
        },
        batch: {
          handler: (items) => {
            const now = Date.now();
            for (const { message } of items) timer.add('queue wait (event time -> handler)', now - Date.parse(message.time));
            return timer.time('batch handler total', () => handleInterfaceEvents(items.map((i) => i.message), ports));
          },
          size: spec.batchSize,
          lingerMs: 5,
        },
        onFinalFailure: (event, err, eventLog) => recordFailure(event, err, { ...ports, log: eventLog }),
        serialize: serial,
        maxRetries: 5,
        log: nodeLog,
        observer: deliveryMetrics(metrics),
      });
      triggers.push(trigger);
      while (!trigger.consuming()) await sleep(5);
      startToConsuming.push(Date.now() - t0);
    }),
  );
  const m = process.memoryUsage();
  send({ t: 'ready', startToConsumingMs: startToConsuming, rss: m.rss, heapUsed: m.heapUsed });

  process.on('message', (msg: { t: string }) => {
    if (msg.t !== 'stop') return;
    void (async () => {
      await Promise.all(triggers.map((t) => t.stop()));
      clearInterval(flush);
      clearInterval(memTimer);
      if (pending.length) send({ t: 'written', items: pending });
      await connection.close().catch(() => undefined);
      await sequelize.close().catch(() => undefined);
      send({ t: 'stopped' });
      process.disconnect?.();
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

/** What differs between a sandbox node and a lab node for NetplanHost. */
interface HostPlace {
  netplanDir: string;
  sysfsNetDir: string;
  applyCommand: string[];
  run: CommandRunner;
  addresses: AddressReader;
}

/** A fake sysfs holding the node's MACs, and the no-op apply: in process, no spawn; it renames the fake NIC as netplan apply would, so verify is real. */
async function sandboxHost(dir: string, n: number, interfaces: number, timer: StepTimer, log: Log, countApply: () => void): Promise<HostPlace> {
  const netplanDir = join(dir, 'netplan');
  await mkdir(netplanDir, { recursive: true });
  const sysfs = await FakeSysfs.create(Array.from({ length: interfaces }, (_, j) => ({ name: kernelName(j), mac: mac(n, j) })), dir);
  const run: CommandRunner = async () => {
    const started = Date.now();
    countApply();
    await timer.time('apply (sandbox)', () => sandboxApply({ netplanDir, sysfsDir: sysfs.root, log }));
    return { stdout: '', stderr: '', durationMs: Date.now() - started };
  };
  return { netplanDir, sysfsNetDir: sysfs.root, applyCommand: ['sandbox-apply'], run, addresses: async () => [] };
}

/**
 * A lab node: the real apply argv, run by the real runner behind a counting wrapper (every
 * run of exactly the apply argv is timed and reported, whatever the agent's outcome).
 */
function labHost(place: LabPlace, node: string, timer: StepTimer, log: Log, countApply: () => void): HostPlace {
  const isApply = (argv: readonly string[]) => argv.length === place.applyCommand.length && argv.every((a, i) => a === place.applyCommand[i]);
  const run: CommandRunner = async (argv, opts) => {
    if (!isApply(argv)) return runCommand(argv, opts);
    countApply();
    const startedAt = Date.now();
    let ok = false;
    try {
      const result = await timer.time('apply (real netplan apply in the lab node)', () => runCommand(argv, opts));
      ok = true;
      return result;
    } finally {
      send({ t: 'apply', node, startedAt, ms: Date.now() - startedAt, ok });
    }
  };
  const addresses = ipAddressReader({ log, run: (argv, opts) => runCommand([...place.enterCommand, ...argv], opts) });
  return { netplanDir: place.netplanDir, sysfsNetDir: place.sysfsNetDir, applyCommand: place.applyCommand, run, addresses };
}

main().catch((err: unknown) => {
  send({ t: 'failed', reason: (err as Error).stack ?? String(err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
