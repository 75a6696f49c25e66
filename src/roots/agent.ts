import type { Registry } from 'prom-client';
import type { Sequelize } from 'sequelize';
import { connectAmqp, type AmqpConnectionManager } from '../amqp/connection.js';
import type { Config } from '../config/schema.js';
import { createSequelize } from '../db/connection.js';
import { SequelizeInterfaceStore } from '../db/interface-store.js';
import { ConfigError } from '../errors/errors.js';
import { reasonOf } from '../errors/classify.js';
import type { AddressReader } from '../host/addresses.js';
import type { CommandRunner } from '../host/command.js';
import type { Kernel } from '../host/kernel.js';
import { createHostFromConfig } from './host.js';
import { createAgentMetrics, markSuccess, Operation } from '../http/metrics.js';
import type { ReadinessCheck } from '../http/server.js';
import { createNodePatcherFromConfig } from '../kube/node-patcher.js';
import type { Log } from '../log/logger.js';
import { createIntervalTrigger, type IntervalTrigger } from '../runtime/interval-trigger.js';
import { startQueueTrigger, type QueueTrigger } from '../runtime/queue-trigger.js';
import { recordFailure } from '../agent/failure.js';
import { handleInterfaceEvent } from '../agent/handler.js';
import { handleInterfaceEvents } from '../agent/batch-handler.js';
import { resolveNodeName, type ResolvedNodeName } from '../agent/node-name.js';
import { unknownNodeMessage } from '../agent/node-suggest.js';
import type { AgentPorts, InterfaceHost, NodePatcher } from '../model/ports.js';
import { resyncNode } from '../agent/resync.js';
import { createSerializer } from '../lib/serial.js';
import { interfaceEventParsing } from '../agent/delivery.js';
import { deliveryMetrics, observeRowToConfigured } from './delivery-metrics.js';

/** Parts a test may replace; everything else is built from the configuration. */
export interface AgentOverrides {
  /** Reads a NIC's addresses for the takeover guard; default `ip -j addr` (execFile). */
  addresses?: AddressReader;
  /** The host's kernel; default `ip` through IP_COMMAND (none when IP_COMMAND is empty). */
  kernel?: Kernel | null;
  /** Runs the apply command (NetplanHost's `run`); tests count or fail applies through it. */
  run?: CommandRunner;
  host?: InterfaceHost;
  /** Wraps the host built here (or `host`), e.g. the sandbox's fake hot-plug of each port's NIC. */
  wrapHost?: (host: InterfaceHost) => InterfaceHost;
  nodes?: NodePatcher;
}

export interface StartAgentOptions {
  config: Config;
  log: Log;
  registry: Registry;
  overrides?: AgentOverrides;
  /** Aborting it stops a start-up still waiting for the database. */
  signal?: AbortSignal;
}

/** A running agent, as the entry point (or a test) holds it. */
export interface RunningAgent {
  node: ResolvedNodeName;
  /** For /readyz: broker connected and consuming; database reachable. */
  readiness: ReadinessCheck[];
  /** Runs a resync now (after the event or resync in hand) and resolves when it ends. */
  resyncNow(): Promise<void>;
  /** Stops consuming, finishes the event in hand and any resync, closes every client. */
  stop(): Promise<void>;
}

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Node names come first: the queue to consume depends on them. A database that is away at
 * start-up is waited for (the agent must not guess a name, and a crash loop helps nobody);
 * each distinct failure is logged once.
 */
async function resolveWithRetry(kubeName: string, config: Config, store: SequelizeInterfaceStore, log: Log, signal?: AbortSignal): Promise<ResolvedNodeName> {
  let last = '';
  for (let attempt = 0; ; attempt++) {
    try {
      return await resolveNodeName({ kubeName, configured: config.node.dbName }, { store, log });
    } catch (err) {
      if (signal?.aborted) throw err;
      const reason = reasonOf(err);
      if (reason !== last) log.warn({ reason }, 'cannot read node_table to resolve this node\'s name; retrying');
      last = reason;
      await delay(Math.min(30_000, 500 * 2 ** attempt), signal);
    }
  }
}

/**
 * Builds every client of the agent once (Sequelize, the AMQP connection
 * `multinic-agent <node>`, NetplanHost with the real `ip` address reader, the Node
 * patcher chosen by `kube.mode`), resolves the node's database name, and starts the
 * resync (at once, then every `agent.resyncInterval`) and the queue trigger on
 * `multinic.node.<dbName>`. Event handling and resync run through one serializer, so
 * their host changes and database writes never interleave. Migrations are not run: the
 * agent's database user may not alter the schema.
 */
export async function startAgent({ config, log, registry, overrides = {}, signal }: StartAgentOptions): Promise<RunningAgent> {
  const kubeName = config.node.name;
  if (!kubeName) throw new ConfigError('NODE_NAME (node.name)', 'the agent needs the name of its node (set NODE_NAME or pass --node)');
  const sequelize: Sequelize = createSequelize(config.db, log.child({ component: 'sql' }), { poolMax: 3 });
  const store = new SequelizeInterfaceStore(sequelize);
  let node: ResolvedNodeName;
  try {
    node = await resolveWithRetry(kubeName, config, store, log, signal);
  } catch (err) {
    await sequelize.close().catch(() => undefined);
    throw err;
  }
  if (!node.known) {
    const known = await store.listNodeNames().catch(() => undefined);
    if (known) log.error({ kubeName, dbName: node.dbName }, unknownNodeMessage(node.dbName, known));
  }
  const metrics = createAgentMetrics(registry);
  const built: InterfaceHost =
    overrides.host ??
    createHostFromConfig(config, {
      log,
      kernel: overrides.kernel,
      addresses: overrides.addresses,
      run: overrides.run,
      sleep: (ms) => delay(ms),
      onApply: ({ backend, ok, seconds }) => metrics.applyDuration.observe({ backend, result: ok ? 'ok' : 'error' }, seconds),
    }).host;
  const host = overrides.wrapHost ? overrides.wrapHost(built) : built;
  const patcher = overrides.nodes ?? createNodePatcherFromConfig(config.kube, log.child({ component: 'kube' }));
  // Every patch carries the whole state, so it is also the moment to update the gauge.
  const nodes: NodePatcher = {
    patchInterfaces: async (name, state, options) => {
      await patcher.patchInterfaces(name, state, options);
      metrics.interfacesConfigured.set(state.interfaces.length);
    },
  };
  const ports: AgentPorts = { store, host, nodes, log, node: { kubeName, dbName: node.dbName }, now: () => new Date() };
  const serial = createSerializer();
  // Logged once per distinct set, not every resync: the Node and the metric keep showing it.
  let lastUnaccounted = '';

  const resync: IntervalTrigger = createIntervalTrigger(
    () =>
      serial(async () => {
        const end = metrics.resyncDuration.startTimer();
        try {
          const s = await resyncNode(ports);
          metrics.resyncRuns.inc({ outcome: s.skipped ? 'skipped' : 'ok' });
          if (!s.skipped) markSuccess(metrics.lastSuccess, Operation.Resync);
          metrics.rowsUnaccounted.set(s.unaccounted.length);
          const unaccounted = s.unaccounted.join('\n');
          if (unaccounted !== lastUnaccounted && s.unaccounted.length > 0) {
            log.warn({ unaccounted: s.unaccounted }, `rows of this node are not accounted for, nothing of theirs removed: ${s.unaccounted[0]}`);
          }
          lastUnaccounted = unaccounted;
          const fields = { configured: s.configured, removed: s.removed, marked: s.marked, kept: s.kept, failed: s.failed, ready: s.state?.ready };
          if (s.skipped) log.warn({ ...fields, reason: s.skipped }, 'resync skipped');
          else log.info(fields, 'resync done');
        } catch (err) {
          metrics.resyncRuns.inc({ outcome: 'failed' });
          throw err;
        } finally {
          end();
        }
      }),
    { intervalMs: config.agent.resyncInterval, log, name: 'agent resync' },
  );
  resync.start();

  const connection: AmqpConnectionManager = connectAmqp(config.amqp.url, { connectionName: `multinic-agent ${kubeName}`, log });
  let trigger: QueueTrigger;
  try {
    trigger = await startQueueTrigger({
      connection,
      node: node.dbName,
      ...interfaceEventParsing({ acceptNodeNames: [...new Set([node.dbName, kubeName])], maxMessageBytes: config.amqp.maxMessageBytes }),
      // Runs inside `serial` (the trigger's lock), beside nothing else of this node.
      handler: async (event, eventLog) => {
        const outcome = await handleInterfaceEvent(event, { ...ports, log: eventLog });
        observeRowToConfigured(metrics, event, outcome);
        return outcome;
      },
      batch: {
        handler: async (items) => {
          const results = await handleInterfaceEvents(items.map((i) => i.message), ports);
          for (const [n, r] of results.entries()) if (r.ok) observeRowToConfigured(metrics, items[n]!.message, r.value);
          return results;
        },
        size: config.agent.batchSize,
        lingerMs: config.agent.batchLinger,
      },
      onFinalFailure: (event, err, eventLog) => recordFailure(event, err, { ...ports, log: eventLog }),
      serialize: serial,
      maxRetries: config.agent.maxRetries,
      declareExchanges: config.amqp.declareExchanges,
      log,
      observer: deliveryMetrics(metrics),
    });
  } catch (err) {
    await resync.stop();
    await connection.close().catch(() => undefined);
    await sequelize.close().catch(() => undefined);
    throw err;
  }
  log.info({ kubeName, dbName: node.dbName, known: node.known, resyncIntervalMs: config.agent.resyncInterval }, 'agent started');

  let stopped: Promise<void> | undefined;
  return {
    node,
    readiness: [
      { name: 'amqp', check: () => ({ ok: connection.isConnected() && trigger.consuming(), detail: trigger.problem() }) },
      { name: 'database', check: async () => (await sequelize.query('SELECT 1'), true) },
    ],
    resyncNow: () => resync.runNow(),
    stop: () =>
      (stopped ??= (async () => {
        await trigger.stop();
        await resync.stop();
        await connection.close().catch((err: unknown) => log.warn({ reason: reasonOf(err) }, 'closing the AMQP connection failed'));
        await sequelize.close().catch(() => undefined);
        log.info('agent stopped');
      })()),
  };
}
