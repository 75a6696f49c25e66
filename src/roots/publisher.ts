import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { connectAmqp, type AmqpConnectionManager } from '../amqp/connection.js';
import type { Config } from '../config/schema.js';
import { createSequelize } from '../db/connection.js';
import type { Log } from '../log/logger.js';
import { createIntervalTrigger, type IntervalTrigger } from '../runtime/interval-trigger.js';
import { createAmqpBroker } from '../amqp/publisher.js';
import { createPublisherMetrics } from '../http/publisher-metrics.js';
import { createMysqlLeadership } from '../db/mysql-lock.js';
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
  /** Readiness: the last cycle succeeded (a standby counts) and, when active, the broker channel is open. */
  readiness: Array<{ name: string; check: () => boolean }>;
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
  const leader = createMysqlLeadership({ db: config.db, lockName: config.publisher.lockName, log });
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
    { pollIntervalMs: config.publisher.pollInterval, resendAfterMs: config.publisher.resendAfter, batchSize: config.publisher.batchSize, lockName: config.publisher.lockName },
    'publisher started',
  );
  return {
    trigger,
    readiness: [
      { name: 'poll', check: () => lastCycleOk },
      { name: 'amqp', check: () => !leader.isLeader() || broker.connected() },
    ],
    async stop() {
      await trigger.stop();
      await leader.close().catch((err: unknown) => log.warn({ err }, 'releasing the publisher lock failed'));
      await broker.close().catch(() => undefined);
      await amqp.close().catch(() => undefined);
      await sequelize.close().catch(() => undefined);
      log.info('publisher stopped');
    },
  };
}
