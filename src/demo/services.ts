import { access, constants } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import mysql from 'mysql2/promise';
import { ManagementClient } from '../amqp/management.js';
import { PermanentError } from '../errors/errors.js';
import { redactText } from '../log/redact.js';

/** A local service the demo needs is missing; the message names it and how to start it. */
export class DemoServiceError extends PermanentError {
  override name = 'DemoServiceError';
}

/**
 * How the demo reaches the local services as an administrator, to create (and drop)
 * its throwaway database, vhost and users. Defaults match this kind of machine and the
 * tests: MariaDB root over the local socket, the management API as guest on localhost.
 */
export interface AdminAccess {
  /** MariaDB as an administrator: a socket, or host/port/user/password. */
  db: { socketPath: string; user: string } | { host: string; port: number; user: string; password: string };
  /** Where the demo's own DB user connects (TCP, as the product does). */
  dbTcp: { host: string; port: number };
  /** Management API URL with administrator credentials, e.g. `http://guest:guest@127.0.0.1:15672/`. */
  managementUrl: string;
  /** AMQP `host:port` the demo's own user connects to. */
  amqpHost: string;
}

/** Defaults of {@link AdminAccess}; DEMO_DB_ADMIN_* and DEMO_AMQP_ADMIN_URL override them in the CLI. */
export const DEFAULT_ADMIN_ACCESS: AdminAccess = {
  db: { socketPath: '/run/mysqld/mysqld.sock', user: 'root' },
  dbTcp: { host: '127.0.0.1', port: 3306 },
  managementUrl: 'http://guest:guest@127.0.0.1:15672/',
  amqpHost: '127.0.0.1:5672',
};

const START_MARIADB =
  'start it with scripts/services/start.sh, or: install -d -o mysql -g mysql /run/mysqld; ' +
  'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql';
const START_RABBITMQ = 'start it with scripts/services/start.sh, or: rabbitmq-server -detached; rabbitmqctl await_startup; rabbitmq-plugins enable rabbitmq_management';

function describeDb(db: AdminAccess['db']): string {
  return 'socketPath' in db ? `${db.socketPath} as ${db.user}` : `${db.host}:${db.port} as ${db.user}`;
}

/** Opens an administrator connection to MariaDB, or fails with a DemoServiceError saying how to start it. */
export async function connectDbAdmin(access: AdminAccess): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({ ...access.db, multipleStatements: false, connectTimeout: 5_000 });
  } catch (err) {
    throw new DemoServiceError(
      `MariaDB is not reachable (${describeDb(access.db)}): ${redactText((err as Error).message)}. ${START_MARIADB} ` +
        '(or point DEMO_DB_ADMIN_SOCKET / DEMO_DB_ADMIN_HOST, _PORT, _USER, _PASSWORD at an administrator account)',
      { cause: err },
    );
  }
}

/** Resolves when a TCP connection to host:port opens within `timeoutMs`; rejects otherwise. */
export function probeTcp(host: string, port: number, timeoutMs = 3_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (err: Error) => (socket.destroy(), reject(err));
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once('connect', () => (socket.end(), resolve()));
  });
}

/** Checks the management API answers as the administrator; the error names RabbitMQ and how to start it. */
export async function checkManagement(access: AdminAccess): Promise<ManagementClient> {
  const management = new ManagementClient(access.managementUrl);
  try {
    await management.overview();
  } catch (err) {
    throw new DemoServiceError(
      `RabbitMQ management API is not reachable (${redactText(access.managementUrl)}): ${redactText((err as Error).message)}. ${START_RABBITMQ} ` +
        '(or set DEMO_AMQP_ADMIN_URL)',
      { cause: err },
    );
  }
  return management;
}

/** Checks RabbitMQ's AMQP port (the management API can answer while the listener is down). */
export async function checkAmqpPort(amqpHost: string): Promise<void> {
  const [host, port] = splitHostPort(amqpHost, 5672);
  await probeTcp(host, port).catch((err: Error) => {
    throw new DemoServiceError(`RabbitMQ is not reachable on AMQP ${host}:${port}: ${err.message}. ${START_RABBITMQ}`, { cause: err });
  });
}

/** Checks the demo's DB user will reach MariaDB over TCP, as the product does. */
export async function checkDbTcp(access: AdminAccess): Promise<void> {
  await probeTcp(access.dbTcp.host, access.dbTcp.port).catch((err: Error) => {
    throw new DemoServiceError(`MariaDB does not accept TCP connections on ${access.dbTcp.host}:${access.dbTcp.port}: ${err.message}. ${START_MARIADB}`, { cause: err });
  });
}

/** Splits `host:port` (IPv6 in brackets allowed). */
export function splitHostPort(text: string, defaultPort: number): [string, number] {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(text);
  return [m?.[1] ?? text, m?.[2] ? Number(m[2]) : defaultPort];
}

/** Finds an executable on `path` (a PATH string); undefined when absent. Nothing is run. */
export async function findExecutable(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}
