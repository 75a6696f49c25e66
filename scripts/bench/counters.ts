import type mysql from 'mysql2/promise';

/**
 * The server's own count of one user's statements (MariaDB USER_STATISTICS, on with
 * `SET GLOBAL userstat = 1`). Every role of the bench logs in as its own user, so the
 * publisher's figure contains its poll, its node listing and its lock checks (GET_LOCK /
 * IS_USED_LOCK), and nothing of the agents', the pollers' or the harness's statements.
 */
export interface UserCounters {
  select: number;
  update: number;
  other: number;
  rowsRead: number;
  /** Seconds the server spent on this user's statements. */
  busySeconds: number;
}

export const ZERO_COUNTERS: UserCounters = { select: 0, update: 0, other: 0, rowsRead: 0, busySeconds: 0 };

/** Turns userstat on and returns its previous value, so the caller can put it back. */
export async function enableUserStats(admin: mysql.Connection): Promise<string> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>("SHOW GLOBAL VARIABLES LIKE 'userstat'");
  const previous = String(rows[0]?.Value ?? 'OFF');
  if (previous !== 'ON') await admin.query('SET GLOBAL userstat = 1');
  return previous;
}

export async function restoreUserStats(admin: mysql.Connection, previous: string): Promise<void> {
  if (previous !== 'ON') await admin.query('SET GLOBAL userstat = 0');
}

export async function readCounters(admin: mysql.Connection, user: string): Promise<UserCounters> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    'SELECT SELECT_COMMANDS, UPDATE_COMMANDS, OTHER_COMMANDS, ROWS_READ, BUSY_TIME FROM information_schema.USER_STATISTICS WHERE USER = ?',
    [user],
  );
  const r = rows[0];
  if (!r) return { ...ZERO_COUNTERS };
  return { select: Number(r.SELECT_COMMANDS), update: Number(r.UPDATE_COMMANDS), other: Number(r.OTHER_COMMANDS), rowsRead: Number(r.ROWS_READ), busySeconds: Number(r.BUSY_TIME) };
}

/** Statements per second between two snapshots (select + update + other). */
export function queriesPerSecond(before: UserCounters, after: UserCounters, ms: number): number {
  const n = after.select - before.select + (after.update - before.update) + (after.other - before.other);
  return ms > 0 ? Math.round((n * 10_000) / ms) / 10 : 0;
}

/** Measures one user's statement rate over `ms` of wall time. */
export async function measureQps(admin: mysql.Connection, user: string, ms: number): Promise<{ qps: number; statements: number; rowsReadPerSecond: number; ms: number }> {
  const before = await readCounters(admin, user);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  const after = await readCounters(admin, user);
  const elapsed = Date.now() - t0;
  return {
    qps: queriesPerSecond(before, after, elapsed),
    statements: after.select - before.select + (after.update - before.update) + (after.other - before.other),
    rowsReadPerSecond: Math.round(((after.rowsRead - before.rowsRead) * 1000) / elapsed),
    ms: elapsed,
  };
}
