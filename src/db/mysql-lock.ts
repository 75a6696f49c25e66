import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { Config } from '../config/schema.js';
import { reasonOf } from '../errors/classify.js';
import type { Log } from '../log/logger.js';
import type { ReleasableLeadership } from '../model/publisher-ports.js';

/** MySQL's longest user-level lock name (MySQL 8.0 reference, "Locking Functions": GET_LOCK). */
const MAX_LOCK_NAME = 64;

/**
 * The default publisher lock name: `multinic-publisher:<database>`. A named lock is
 * server-wide, so one name per database lets installations that share a MySQL server but
 * not a database each have an active publisher. A name over 64 characters ends in a SHA-256
 * prefix of the database name instead.
 */
export function defaultLockName(database: string): string {
  const name = `multinic-publisher:${database}`;
  return name.length <= MAX_LOCK_NAME ? name : `multinic-publisher:${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
}

export interface MysqlLeadershipOptions {
  db: Config['db'];
  lockName: string;
  log: Pick<Log, 'info' | 'warn'>;
  /** Longest wait for the lock connection or one of its queries (default 3000 ms). */
  timeoutMs?: number;
  /** Called once when leadership is lost (lock connection gone or lock taken over). */
  onLost?: () => void;
}

/** Leadership plus the clean-up a graceful shutdown needs. */
export interface MysqlLeadership extends ReleasableLeadership {
  /** Releases the lock (if held) and closes the lock connection. */
  close(): Promise<void>;
  /** True while the lock connection answers (the last check worked); readiness reads it. */
  healthy(): boolean;
  /** The last lock check's failure, if it failed. */
  lastFailure(): string | undefined;
}

/**
 * Single active replica through a MySQL named lock: `GET_LOCK(name, 0)` on a dedicated
 * connection held open. MySQL releases the lock the moment that connection ends, so a
 * replica that dies or loses its connection lets a standby (which retries on every
 * `ensure`, i.e. every poll) take over within a poll interval. The holder re-checks
 * `IS_USED_LOCK(name) = CONNECTION_ID()` every cycle, and drops leadership at once when
 * the connection reports an error, so it never publishes without holding the lock.
 */
export function createMysqlLeadership({ db, lockName, log, timeoutMs = 3_000, onLost }: MysqlLeadershipOptions): MysqlLeadership {
  let conn: mysql.Connection | undefined;
  let leader = false;
  let announced: 'active' | 'standby' | undefined;
  let lastFailure: string | undefined;
  let checked = false;

  const lose = (why: string) => {
    if (leader) {
      leader = false;
      announced = undefined;
      log.warn({ lockName, reason: why }, `lost leadership: ${why}; stopped publishing`);
      onLost?.();
    }
  };
  const drop = (why: string) => {
    const c = conn;
    conn = undefined;
    lose(why);
    c?.destroy();
  };

  async function connection(): Promise<mysql.Connection> {
    if (conn) return conn;
    const c = await mysql.createConnection({
      host: db.host,
      port: db.port,
      ...(db.socketPath ? { socketPath: db.socketPath } : {}),
      user: db.user,
      password: db.password,
      database: db.name,
      connectTimeout: timeoutMs,
    });
    c.on('error', (err) => {
      if (conn === c) drop(`lock connection failed: ${reasonOf(err)}`);
    });
    c.on('end', () => {
      if (conn === c) drop('lock connection closed');
    });
    conn = c;
    return c;
  }

  async function query(sql: string): Promise<number | null> {
    const c = await connection();
    const [rows] = await c.query<mysql.RowDataPacket[]>({ sql, timeout: timeoutMs, values: [lockName] });
    const v = rows[0]?.v;
    return v === null || v === undefined ? null : Number(v);
  }

  return {
    async ensure() {
      try {
        if (leader) {
          if ((await query('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS v')) !== 1) lose('the lock is no longer held by this connection');
        } else if ((await query('SELECT GET_LOCK(?, 0) AS v')) === 1) {
          leader = true;
          announced = 'active';
          log.info({ lockName }, 'became active: holding the publisher lock');
        } else if (announced !== 'standby') {
          announced = 'standby';
          log.info({ lockName }, 'standing by: another replica holds the publisher lock');
        }
        if (lastFailure !== undefined) log.info({ lockName }, 'lock connection works again');
        lastFailure = undefined;
        checked = true;
      } catch (err) {
        const reason = reasonOf(err);
        drop(`lock check failed: ${reason}`);
        if (reason !== lastFailure) log.warn({ lockName, reason }, 'cannot check the publisher lock; retrying');
        lastFailure = reason;
      }
      return leader;
    },
    isLeader: () => leader,
    healthy: () => checked && lastFailure === undefined,
    lastFailure: () => lastFailure,
    async release() {
      const c = conn;
      if (!leader || !c) return;
      leader = false;
      announced = undefined;
      await c.query({ sql: 'SELECT RELEASE_LOCK(?)', values: [lockName], timeout: timeoutMs }).catch((err: unknown) => {
        // The lock goes with the connection: end it rather than keep a lock we meant to give up.
        drop(`releasing the lock failed: ${reasonOf(err)}`);
      });
    },
    async close() {
      const c = conn;
      conn = undefined;
      if (!c) return;
      if (leader) await c.query({ sql: 'SELECT RELEASE_LOCK(?)', values: [lockName], timeout: timeoutMs }).catch(() => undefined);
      leader = false;
      await c.end().catch(() => c.destroy());
    },
  };
}
