import mysql from 'mysql2/promise';
import type { Config } from '../config/schema.js';

/**
 * Creates the configured database when it does not exist yet (utf8mb4, binary
 * collation, as the migrations expect), so `multinic db migrate` works on a fresh
 * server. Returns true when it created it. Needs the CREATE privilege; a user without
 * it gets the server's own error, which names the missing privilege.
 */
export async function createDatabaseIfMissing(db: Config['db']): Promise<boolean> {
  const conn = await mysql.createConnection({
    ...(db.socketPath ? { socketPath: db.socketPath } : { host: db.host, port: db.port }),
    user: db.user,
    password: db.password,
    connectTimeout: 5_000,
  });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db.name]);
    if (rows.length > 0) return false;
    // db.name is validated as [A-Za-z0-9_]{1,64} at start-up; escapeId quotes it anyway.
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(db.name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    return true;
  } finally {
    await conn.end();
  }
}
