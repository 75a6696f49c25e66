/** The demo as a child process, and what it must leave behind: shared by the demo tests. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import type { DemoInterface } from '../../../src/demo/report.js';
import { SEED } from '../../../src/db/index.js';
import { listNamespaces } from '../../../src/lab/index.js';
import { MANAGEMENT_ADMIN_URL } from '../../helpers/rabbitmq.js';

const run = promisify(execFile);
export const BIN = resolve('bin/multinic.js');

/** Runs the demo as a user would; never throws on a non-zero exit. */
export async function demo(args: string[], env: Record<string, string> = {}, cwd = process.cwd()): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  // The demo uses a user's own DB_* / AMQP_URL when given: the test wants the throwaway path.
  for (const k of Object.keys(base)) if (/^(DB_|AMQP_URL$|DEMO_)/.test(k)) delete base[k];
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'demo', ...args], { cwd, env: { ...base, ...env }, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function vhostExists(vhost: string): Promise<boolean> {
  const u = new URL(MANAGEMENT_ADMIN_URL);
  const auth = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  const res = await fetch(`${u.origin}/api/vhosts/${encodeURIComponent(vhost)}`, { headers: { authorization: `Basic ${auth}` } });
  return res.status === 200;
}

async function rabbitUserExists(user: string): Promise<boolean> {
  const u = new URL(MANAGEMENT_ADMIN_URL);
  const auth = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  const res = await fetch(`${u.origin}/api/users/${encodeURIComponent(user)}`, { headers: { authorization: `Basic ${auth}` } });
  return res.status === 200;
}

export async function leftovers(admin: mysql.Connection, id: string) {
  const [dbs] = await admin.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [`multinic_demo_${id}`]);
  const [users] = await admin.query<mysql.RowDataPacket[]>('SELECT User, Host FROM mysql.user WHERE User = ?', [`multinic_demo_${id}`]);
  return { databases: dbs.length, dbUsers: users.length, vhost: await vhostExists(`multinic-demo-${id}`), amqpUser: await rabbitUserExists(`multinic-demo-${id}`) };
}

/** Network namespaces still present whose names start with a lab's id. */
export const labNamespaces = (id: string) => listNamespaces().filter((n) => n.startsWith(id));

/** The address of a seeded interface with its subnet's prefix, or null for DHCP. */
export function seededCidr(portId: string): string | null {
  const i = SEED.interfaces.find((x) => x.port_id === portId)!;
  return i.address === null ? null : `${i.address}/${SEED.subnets[i.subnet]!.cidr.split('/')[1]}`;
}

/** Each interface as its lab node's kernel shows it: under its multinicN name, UP, its MTU (1500 when unset), exactly its seeded address. */
export function expectKernelAsSeeded(interfaces: readonly DemoInterface[]): void {
  for (const i of interfaces) {
    const k = i.kernel;
    expect(k, i.portId).to.not.equal(null);
    expect(k!.name, i.portId).to.equal(i.name);
    expect(k!.state, i.portId).to.equal('UP');
    expect(k!.mtu, i.portId).to.equal(i.mtu ?? 1500);
    const cidr = seededCidr(i.portId);
    expect(k!.addresses.map((a) => a.split(' ')[0]), i.portId).to.deep.equal(cidr ? [cidr] : []);
  }
}
