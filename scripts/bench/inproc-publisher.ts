import { Registry } from 'prom-client';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createSequelize } from '../../src/db/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createPublisherMetrics } from '../../src/http/publisher-metrics.js';
import { createMysqlLeadership } from '../../src/db/mysql-lock.js';
import { createPollState, pollOnce } from '../../src/publisher/poll.js';
import type { EventBroker, PublisherPorts } from '../../src/model/publisher-ports.js';
import { PUBLISHER_SOURCE } from '../../src/roots/publisher.js';
import { createSqlSources } from '../../src/db/sql-sources.js';
import { createIntervalTrigger } from '../../src/runtime/interval-trigger.js';

/**
 * The publisher's database side exactly as startPublisher composes it (Sequelize pool of
 * 3, the MySQL named-lock leadership, the SQL adapters, pollOnce on a 1 s interval
 * trigger, default batch size and node refresh) with a broker that confirms at once.
 * The scan uses it to measure the publisher's DB load at 1000 nodes without declaring a
 * thousand quorum queues on the shared RabbitMQ (deleting them takes the broker minutes);
 * the broker sends no SQL, so the statement count is the publisher's own. A faster broker
 * only makes cycles shorter, so with-work figures are an upper bound.
 */
export async function startDbOnlyPublisher(opts: { db: Config['db']; lockName: string; pollIntervalMs?: number }): Promise<{ published: () => number; stop: () => Promise<void> }> {
  const log = createLogger({ name: 'bench-publisher', level: 'warn', format: 'json', out: process.stderr });
  const sequelize = createSequelize(opts.db, undefined, { poolMax: 3 });
  const leader = createMysqlLeadership({ db: opts.db, lockName: opts.lockName, log });
  const declared = new Set<string>();
  let published = 0;
  const broker: EventBroker = {
    isDeclared: (n) => declared.has(n),
    declareNodes: async (nodes) => void nodes.forEach((n) => declared.add(n)),
    queueProblems: () => [],
    queueDepth: async () => ({ messages: 0, consumers: 0 }),
    publish: async () => void published++,
  };
  const ports: PublisherPorts = {
    ...createSqlSources(sequelize),
    broker,
    leader,
    metrics: createPublisherMetrics(new Registry()),
    log,
    now: () => new Date(),
    settings: { batchSize: 5000, nodeRefreshMs: 30_000, source: PUBLISHER_SOURCE },
  };
  const state = createPollState(60_000);
  let firstCycle: () => void = () => undefined;
  const ready = new Promise<void>((r) => (firstCycle = r));
  const trigger = createIntervalTrigger(
    async () => {
      await pollOnce(ports, state);
      firstCycle();
    },
    { intervalMs: opts.pollIntervalMs ?? loadConfig().publisher.pollInterval, log, name: 'bench publisher poll' },
  );
  trigger.start();
  await ready;
  return {
    published: () => published,
    async stop() {
      await trigger.stop();
      await leader.close().catch(() => undefined);
      await sequelize.close().catch(() => undefined);
    },
  };
}
