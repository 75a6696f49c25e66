import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { connectAmqp, firstAnswering, type AmqpConnectionManager } from '../amqp/connection.js';
import type { Config } from '../config/schema.js';
import { createSequelize } from '../db/connection.js';
import type { Log } from '../log/logger.js';
import { createIntervalTrigger, type IntervalTrigger } from '../runtime/interval-trigger.js';
import { createAmqpBroker } from '../amqp/publisher.js';
import { createPublisherMetrics } from '../http/publisher-metrics.js';
import { createMysqlLeadership, defaultLockName } from '../db/mysql-lock.js';
import { brokerGatedLeadership } from '../publisher/leadership.js';
import { isBrokerUnavailable, ManagementClient } from '../amqp/management.js';
import { applyNodeQueuePolicy, setPolicyCommand } from '../amqp/policy.js';
import { reasonOf } from '../errors/classify.js';
import type { ReadinessCheck } from '../http/server.js';
import { vhostOf } from '../status/broker.js';
import { createPollState, pollOnce } from '../publisher/poll.js';
import type { PublisherPorts } from '../model/publisher-ports.js';
import { createSqlSources } from '../db/sql-sources.js';

/** CloudEvents `source` of every event the publisher emits. */
export const PUBLISHER_SOURCE = '/multinic/publisher';
/** AMQP `app_id` of every message the publisher emits. */
export const PUBLISHER_APP_ID = 'multinic-publisher';

/** A running publisher, as the entry point holds it. */
export interface RunningPublisher {
  trigger: IntervalTrigger;
  /**
   * Readiness, each with a line for the operator: `database` (SELECT 1), `lock` (the lock
   * connection answers), `broker` (the publishing channel is open), `poll` (the last cycle
   * worked), and always-passing `role` (active / standby / waiting for RabbitMQ),
   * `node-queues` (unusable ones named) and `policy` (whether the node queue policy is set).
   */
  readiness: ReadinessCheck[];
  /** Graceful stop: no new cycle, the one in hand finishes, the lock is released, connections close. */
  stop(): Promise<void>;
}

/**
 * Builds the publisher's clients once (Sequelize, the lock connection, the AMQP
 * connection with its confirm channel) and starts the interval trigger that runs
 * `pollOnce` every `publisher.pollInterval`.
 */
export function startPublisher({ config, log, registry }: { config: Config; log: Log; registry: Registry }): RunningPublisher {
  const sequelize = createSequelize(config.db, log.child({ component: 'sql' }), { poolMax: 3 });
  const amqp: AmqpConnectionManager = connectAmqp(config.amqp.url, { connectionName: `${PUBLISHER_APP_ID} ${hostname()}`, log });
  const broker = createAmqpBroker(amqp, { appId: PUBLISHER_APP_ID, log });
  const lockName = config.publisher.lockName ?? defaultLockName(config.db.name);
  const lock = createMysqlLeadership({ db: config.db, lockName, log });
  const leader = brokerGatedLeadership(lock, { brokerConnected: () => broker.connected(), graceMs: config.publisher.brokerGrace, now: () => Date.now(), log });
  const policy = startPolicyUpkeep(config, log);
  const ports: PublisherPorts = {
    ...createSqlSources(sequelize),
    broker,
    leader,
    metrics: createPublisherMetrics(registry),
    log,
    now: () => new Date(),
    settings: { batchSize: config.publisher.batchSize, nodeRefreshMs: config.publisher.nodeRefresh, source: PUBLISHER_SOURCE },
  };
  const state = createPollState(config.publisher.resendAfter);
  let lastCycleOk = false;
  const trigger = createIntervalTrigger(
    async () => {
      try {
        await pollOnce(ports, state);
        lastCycleOk = true;
      } catch (err) {
        lastCycleOk = false;
        throw err;
      }
    },
    { intervalMs: config.publisher.pollInterval, log, name: 'publisher poll' },
  );
  trigger.start();
  log.info(
    { pollIntervalMs: config.publisher.pollInterval, resendAfterMs: config.publisher.resendAfter, batchSize: config.publisher.batchSize, lockName },
    'publisher started',
  );
  return {
    trigger,
    readiness: [
      { name: 'database', check: async () => (await sequelize.query('SELECT 1'), true) },
      { name: 'lock', check: () => ({ ok: lock.healthy(), detail: lock.healthy() ? undefined : `lock ${lockName}: ${lock.lastFailure() ?? 'not checked yet'}` }) },
      { name: 'broker', check: () => ({ ok: broker.connected(), detail: broker.connected() ? undefined : 'not connected to RabbitMQ' }) },
      { name: 'poll', check: () => lastCycleOk },
      { name: 'role', check: () => ({ ok: true, detail: roleLine(leader.role(), lockName) }) },
      {
        name: 'node-queues',
        check: () => {
          const problems = broker.queueProblems();
          return { ok: true, detail: problems.length ? `${problems.length} unusable, their rows wait: ${problems.map((p) => p.message).join(' | ')}` : undefined };
        },
      },
      { name: 'policy', check: () => ({ ok: true, detail: policy.state() }) },
    ],
    async stop() {
      await trigger.stop();
      policy.stop();
      await lock.close().catch((err: unknown) => log.warn({ err }, 'releasing the publisher lock failed'));
      await broker.close().catch(() => undefined);
      await amqp.close().catch(() => undefined);
      await sequelize.close().catch(() => undefined);
      log.info('publisher stopped');
    },
  };
}

function roleLine(role: 'active' | 'standby' | 'no-broker', lockName: string): string {
  if (role === 'active') return `active: holds the lock ${lockName}`;
  if (role === 'standby') return `standby: another replica holds the lock ${lockName}`;
  return `standby: waiting for RabbitMQ before taking the lock ${lockName}`;
}

/** How often a policy that could not be set is tried again. */
const POLICY_RETRY_MS = 60_000;

/**
 * Sets the node queue policy (src/amqp/policy.ts) through the management API at start and,
 * until that works, every minute; a failure is logged once with the rabbitmqctl line an
 * operator can run instead. Nothing else waits for it: queues work without it, only without
 * a delivery limit and dead-lettering.
 */
function startPolicyUpkeep(config: Config, log: Log): { state(): string; stop(): void } {
  const vhost = vhostOf(config.amqp.url[0]!);
  // A policy is cluster-wide: any broker of the list that answers can set it.
  const brokers = config.amqp.managementUrl.map((u) => new ManagementClient(u));
  let state = 'not applied yet';
  let lastFailure: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async () => {
    try {
      await firstAnswering(brokers, (management) => applyNodeQueuePolicy(management, vhost), isBrokerUnavailable);
      state = 'applied';
      log.info({ vhost }, 'node queue policy multinic-node-queues applied (delivery limit, dead-letter exchange)');
      if (timer) clearInterval(timer);
    } catch (err) {
      const reason = reasonOf(err);
      state = `not applied: ${reason}; run: ${setPolicyCommand(vhost)}`;
      if (reason !== lastFailure) log.warn({ vhost, reason }, `cannot set the node queue policy through the management API (AMQP_MANAGEMENT_URL); until it is set node queues have no delivery limit: run ${setPolicyCommand(vhost)}`);
      lastFailure = reason;
    }
  };
  void attempt();
  timer = setInterval(() => void attempt(), POLICY_RETRY_MS);
  timer.unref();
  return { state: () => state, stop: () => clearInterval(timer) };
}
