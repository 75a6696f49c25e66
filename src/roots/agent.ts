import type { Registry } from 'prom-client';
import type { Sequelize } from 'sequelize';
import { AGENT_BACKEND_PROPERTY, AGENT_NODE_PROPERTY, connectAmqp, type AmqpConnectionManager } from '../amqp/connection.js';
import type { Config } from '../config/schema.js';
import { createSequelize } from '../db/connection.js';
import { SequelizeInterfaceStore } from '../db/interface-store.js';
import { ConfigError } from '../errors/errors.js';
import { reasonOf } from '../errors/classify.js';
import type { AddressReader } from '../host/addresses.js';
import type { CommandRunner } from '../host/command.js';
import type { Kernel } from '../host/kernel.js';
import { createAgentMetrics, markSuccess, Operation } from '../http/metrics.js';
import type { ReadinessCheck } from '../http/server.js';
import { createNodePatcherFromConfig } from '../kube/node-patcher.js';
import { apiServerEndpoint, createEventRecorderFromConfig } from '../kube/events.js';
import { createProbeMetrics } from '../http/probe-metrics.js';
import { eventForFailure, eventForOutcome, EventReason, recordNodeEvent } from '../agent/node-events.js';
import type { Log } from '../log/logger.js';
import { createIntervalTrigger, type IntervalTrigger } from '../runtime/interval-trigger.js';
import { startQueueTrigger, type QueueTrigger } from '../runtime/queue-trigger.js';
import { recordFailure } from '../agent/failure.js';
import { handleInterfaceEvent } from '../agent/handler.js';
import { handleInterfaceEvents } from '../agent/batch-handler.js';
import { resolveNodeName, type ResolvedNodeName } from '../agent/node-name.js';
import { unknownNodeMessage } from '../agent/node-suggest.js';
import type { AgentPorts, InterfaceHost, NodeEventRecorder, NodePatcher } from '../model/ports.js';
import { resyncNode } from '../agent/resync.js';
import { createSerializer } from '../lib/serial.js';
import { interfaceEventParsing } from '../agent/delivery.js';
import { createAgentHost } from './agent-host.js';
import { deliveryMetrics, observeRowToConfigured } from './delivery-metrics.js';

/** Parts a test may replace; everything else is built from the configuration. */
export interface AgentOverrides {
  /** Reads a NIC's addresses for the takeover guard; default `ip -j addr` (execFile). */
  addresses?: AddressReader;
  /** The host's kernel; default `ip` through IP_COMMAND (none when IP_COMMAND is empty). */
  kernel?: Kernel | null;
  /** Runs the backend's commands (apply, nmcli; not detection); tests count or fail applies through it. */
  run?: CommandRunner;
  host?: InterfaceHost;
  /** Wraps the host built here (or `host`), e.g. the sandbox's fake hot-plug of each port's NIC. */
  wrapHost?: (host: InterfaceHost) => InterfaceHost;
  nodes?: NodePatcher;
  /** Records Kubernetes Events on the Node; default chosen by `kube.mode` like the patcher. */
  events?: NodeEventRecorder;
}

export interface StartAgentOptions {
  config: Config;
  log: Log;
  registry: Registry;
  overrides?: AgentOverrides;
  /** Aborting it stops a start-up still waiting for the database. */
  signal?: AbortSignal;
  /**
   * Filled in place, before anything is awaited, with the `database` and `amqp` checks, so a
   * health server started earlier answers /readyz 503 naming them while they are away.
   */
  readiness?: ReadinessCheck[];
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
    if (signal?.aborted) throw new Error('start-up aborted while waiting for node_table');
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
/**
 * The agent's settings that loadConfig cannot judge alone: its node's name and, with
 * `kube.mode: api`, a loadable kubeconfig naming a server. The entry point calls it before
 * it binds anything, startAgent again. @throws ConfigError naming the key.
 */
export function checkAgentSettings(config: Config): { kubeName: string } {
  const kubeName = config.node.name;
  if (!kubeName) throw new ConfigError('NODE_NAME (node.name)', 'the agent needs the name of its node (set NODE_NAME or pass --node)');
  apiServerEndpoint(config.kube);
  return { kubeName };
}

export async function startAgent({ config, log, registry, overrides = {}, signal, readiness = [] }: StartAgentOptions): Promise<RunningAgent> {
  const { kubeName } = checkAgentSettings(config);
  // Every setting that can fail is read before the database is awaited and the host touched.
  const kubeLog = log.child({ component: 'kube' });
  const patcher = overrides.nodes ?? createNodePatcherFromConfig(config.kube, kubeLog);
  const recorder = overrides.events ?? createEventRecorderFromConfig(config.kube, kubeLog);
  const apiServer = apiServerEndpoint(config.kube);
  const sequelize: Sequelize = createSequelize(config.db, log.child({ component: 'sql' }), { poolMax: 3 });
  const store = new SequelizeInterfaceStore(sequelize);
  let connection: AmqpConnectionManager | undefined;
  let trigger: QueueTrigger | undefined;
  const checks: ReadinessCheck[] = [
    { name: 'amqp', check: () => ({ ok: (connection?.isConnected() ?? false) && (trigger?.consuming() ?? false), detail: trigger?.problem() }) },
    { name: 'database', check: async () => (await sequelize.query('SELECT 1'), true) },
  ];
  readiness.splice(0, readiness.length, ...checks);
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
  const agentHost = overrides.host
    ? undefined
    : await createAgentHost(config, {
        log,
        kernel: overrides.kernel,
        addresses: overrides.addresses,
        run: overrides.run,
        sleep: (ms) => delay(ms),
        onApply: ({ backend, ok, seconds }) => metrics.applyDuration.observe({ backend, result: ok ? 'ok' : 'error' }, seconds),
        apiServer,
        probeObserver: createProbeMetrics(registry),
      }).catch(async (err: unknown) => {
        await sequelize.close().catch(() => undefined);
        throw err;
      });
  const built: InterfaceHost = overrides.host ?? agentHost!.host;
  const host = overrides.wrapHost ? overrides.wrapHost(built) : built;
  const backend = agentHost?.choice.backend;
  // Every patch carries the whole state, so it is also the moment to update the gauge.
  const nodes: NodePatcher = {
    patchInterfaces: async (name, state, options) => {
      await patcher.patchInterfaces(name, backend ? { ...state, backend } : state, options);
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
          for (const c of s.claimed) await recordNodeEvent(recorder, kubeName, { type: 'Warning', reason: EventReason.Claimed, message: c.reason }, log);
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

  connection = connectAmqp(config.amqp.url, {
    connectionName: `multinic-agent ${kubeName}`,
    log,
    // Read back by `multinic status` from the management API's connection list.
    clientProperties: { [AGENT_NODE_PROPERTY]: node.dbName, ...(backend ? { [AGENT_BACKEND_PROPERTY]: backend } : {}) },
  });
  try {
    trigger = await startQueueTrigger({
      connection,
      node: node.dbName,
      ...interfaceEventParsing({ acceptNodeNames: [...new Set([node.dbName, kubeName])], maxMessageBytes: config.amqp.maxMessageBytes }),
      // Runs inside `serial` (the trigger's lock), beside nothing else of this node.
      handler: async (event, eventLog) => {
        const outcome = await handleInterfaceEvent(event, { ...ports, log: eventLog });
        observeRowToConfigured(metrics, event, outcome);
        const e = eventForOutcome(event, outcome);
        if (e) await recordNodeEvent(recorder, kubeName, e, eventLog);
        return outcome;
      },
      batch: {
        handler: async (items) => {
          const results = await handleInterfaceEvents(items.map((i) => i.message), ports);
          for (const [n, r] of results.entries()) {
            if (!r.ok) continue;
            const event = items[n]!.message;
            observeRowToConfigured(metrics, event, r.value);
            const e = eventForOutcome(event, r.value);
            if (e) await recordNodeEvent(recorder, kubeName, e, ports.log);
          }
          return results;
        },
        size: config.agent.batchSize,
        lingerMs: config.agent.batchLinger,
      },
      onFinalFailure: async (event, err, eventLog) => {
        await recordNodeEvent(recorder, kubeName, eventForFailure(event, err), eventLog);
        await recordFailure(event, err, { ...ports, log: eventLog });
      },
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
  const running = { connection, trigger };
  log.info({ kubeName, dbName: node.dbName, known: node.known, backend, resyncIntervalMs: config.agent.resyncInterval }, 'agent started');

  let stopped: Promise<void> | undefined;
  return {
    node,
    readiness: checks,
    resyncNow: () => resync.runNow(),
    stop: () =>
      (stopped ??= (async () => {
        await running.trigger.stop();
        await resync.stop();
        await running.connection.close().catch((err: unknown) => log.warn({ reason: reasonOf(err) }, 'closing the AMQP connection failed'));
        await sequelize.close().catch(() => undefined);
        log.info('agent stopped');
      })()),
  };
}
