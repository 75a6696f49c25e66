import { Sequelize } from 'sequelize';
import type { Config } from '../config/schema.js';
import type { Log } from '../log/logger.js';

/**
 * Builds the one Sequelize instance of a process. Times are UTC on both sides (the
 * session time zone is set to +00:00), so a row's generation means the same number
 * to the publisher, the agent and MySQL. Pool and connect timeouts are short: a
 * database that is away must surface as a retryable error quickly, not hang a cycle.
 */
export function createSequelize(db: Config['db'], log?: Pick<Log, 'trace'>, options: { poolMax?: number } = {}): Sequelize {
  return new Sequelize(db.name, db.user, db.password, {
    dialect: 'mysql',
    host: db.host,
    port: db.port,
    timezone: '+00:00',
    logging: log ? (sql: string) => log.trace({ sql }, 'sql') : false,
    benchmark: false,
    pool: { max: options.poolMax ?? 5, min: 0, acquire: 10_000, idle: 10_000, evict: 5_000 },
    // A pooled connection the server killed (restart, failover, KILL) fails the next
    // query once; retrying on a fresh connection hides that blip. Every MultiNIC write is
    // idempotent (conditional updates, upserts), so a retried statement is safe.
    retry: {
      max: 3,
      match: [
        /PROTOCOL_CONNECTION_LOST/,
        /ECONNRESET/,
        /EPIPE/,
        /socket has been ended/,
        /closed state/,
        /Connection lost/,
        /SequelizeConnectionError/,
        /SequelizeConnectionRefusedError/,
      ],
    },
    dialectOptions: {
      ...(db.socketPath ? { socketPath: db.socketPath } : {}),
      connectTimeout: 5_000,
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: false,
    },
    define: { freezeTableName: true, underscored: true },
  });
}
