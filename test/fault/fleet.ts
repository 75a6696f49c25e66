import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Config } from '../../src/config/index.js';
import { migrate, seed, SEED } from '../../src/db/index.js';
import { start as startKube, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { FakeSysfs } from '../helpers/fake-sysfs.js';
import { uniqueSuffix } from '../helpers/ids.js';
import { createTestDatabase, type TestDatabase } from '../helpers/mariadb.js';
import { AMQP_HOST, createTestVhost, MANAGEMENT_ADMIN_URL, type TestVhost } from '../helpers/rabbitmq.js';
import { RoleProcess } from './processes.js';

const run = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The agent's grants, exactly as deploy/sql/users.sql gives them. */
export const AGENT_GRANTS = [
  'GRANT SELECT ON {db}.multi_subnet TO {user}',
  'GRANT SELECT ON {db}.node_table TO {user}',
  'GRANT SELECT, UPDATE (netplan_success) ON {db}.multi_interface TO {user}',
  'GRANT SELECT ON {db}.cr_state TO {user}',
  'GRANT SELECT, INSERT, UPDATE ON {db}.multinic_port_state TO {user}',
];
/** The publisher's grants, exactly as deploy/sql/users.sql gives them (read only). */
export const PUBLISHER_GRANTS = ['multi_subnet', 'node_table', 'multi_interface', 'cr_state', 'multinic_port_state'].map((t) => `GRANT SELECT ON {db}.${t} TO {user}`);

/** A foreign netplan file in every node's dir: MultiNIC must never touch it. */
export const FOREIGN_FILE = { name: '50-cloud-init.yaml', content: 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n' };

/** A RabbitMQ cluster to build the fleet on: its management API as administrator, and every broker's host:port. */
export interface ClusterAccess {
  adminUrl: string;
  amqpHosts: readonly string[];
}

export interface FleetNode {
  name: string;
  index: number;
  root: string;
  netplanDir: string;
  stateDir: string;
  sysfs: FakeSysfs;
  agent: RoleProcess;
}

export interface Port {
  portId: string;
  node: FleetNode;
  mac: string;
  /** 0-based index over the whole fleet; the phase that inserts it follows from it. */
  global: number;
  address: string;
}

export interface Fleet {
  t: TestDatabase;
  vhost: TestVhost;
  kube: FakeKubeApi;
  nodes: FleetNode[];
  ports: Port[];
  publishers: RoleProcess[];
  /** Every password of this run: none may ever appear in a log. */
  secrets: string[];
  cleanup(): Promise<void>;
}

/** Runs scripts/rabbitmq/<script> as the management administrator; returns the printed password. */
async function rabbitUser(adminUrl: string, script: string, args: string[]): Promise<string> {
  const admin = new URL(adminUrl);
  const { stdout } = await run('bash', [here(`../../scripts/rabbitmq/${script}`), ...args], {
    env: { PATH: process.env.PATH, RABBITMQ_API: `${admin.protocol}//${admin.host}`, RABBITMQ_ADMIN_USER: decodeURIComponent(admin.username), RABBITMQ_ADMIN_PASSWORD: decodeURIComponent(admin.password) },
  });
  return stdout.trim();
}

/** AMQP_URL for a user: one URL per broker, the list rotated by `start` so that processes spread over a cluster's nodes. */
const amqpUrl = (hosts: readonly string[], start: number, user: string, password: string, vhost: string) =>
  hosts
    .map((_, i) => hosts[(start + i) % hosts.length]!)
    .map((host) => `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}/${encodeURIComponent(vhost)}`)
    .join(',');

const dbEnv = (db: Config['db']) => ({ DB_HOST: db.host, DB_PORT: String(db.port), DB_USER: db.user, DB_PASSWORD: db.password, DB_NAME: db.name });

/**
 * Builds the fault suite's world: a per-test database (migrated, seed subnets, `nodes`
 * node_table rows, no interfaces yet) with the least-privilege agent and publisher users,
 * a per-test vhost with per-node RabbitMQ users (node-user.sh) and a publisher user
 * (publisher-user.sh), a fake Kubernetes API, and per node a sandbox root (fake sysfs
 * with `perNode` NICs, a netplan dir holding a foreign file, apply-audit state). Processes
 * are created but not started. With `broker`, everything RabbitMQ lives on that cluster
 * and every process's AMQP_URL lists all its brokers, starting at a different one.
 * `agentEnv` overrides the agents' settings.
 */
export async function buildFleet({ nodes: nodeCount, perNode, publishers: publisherCount = 2, broker, agentEnv = {} }: { nodes: number; perNode: number; publishers?: number; broker?: ClusterAccess; agentEnv?: Record<string, string> }): Promise<Fleet> {
  const { adminUrl, amqpHosts }: ClusterAccess = broker ?? { adminUrl: MANAGEMENT_ADMIN_URL, amqpHosts: [AMQP_HOST] };
  const suffix = uniqueSuffix();
  const t = await createTestDatabase('mnfault');
  await migrate(t.sequelize, { info: () => undefined });
  await seed(t.sequelize);
  await t.sequelize.query('DELETE FROM multi_interface');
  const names = Array.from({ length: nodeCount }, (_, i) => `fn${suffix}-${String(i + 1).padStart(2, '0')}`);
  for (const [i, name] of names.entries()) {
    await t.sequelize.query("INSERT INTO node_table (attached_node_id, attached_node_name, status, created_at, modified_at) VALUES (?, ?, 'ACTIVE', NOW(3), NOW(3))", { replacements: [`node-id-${suffix}-${i}`, name] });
  }
  const agentDb = await t.createUser(AGENT_GRANTS);
  const publisherDb = await t.createUser(PUBLISHER_GRANTS);
  const vhost = await createTestVhost('mnfault', { adminUrl, amqpHost: amqpHosts[0]! });
  const rabbitUsers: string[] = [];
  const publisherUser = `multinic-publisher-${suffix}`;
  const publisherPw = await rabbitUser(adminUrl, 'publisher-user.sh', [publisherUser, vhost.vhost]);
  rabbitUsers.push(publisherUser);
  const kube = await startKube({ nodes: names });
  const secrets = [t.password, agentDb.password, publisherDb.password, publisherPw, decodeURIComponent(new URL(vhost.url).password)];

  const fleetNodes: FleetNode[] = [];
  const ports: Port[] = [];
  const applyScript = here('./apply-audit.mjs');
  for (const [index, name] of names.entries()) {
    const nodePw = await rabbitUser(adminUrl, 'node-user.sh', [name, vhost.vhost]);
    rabbitUsers.push(`multinic-node-${name}`);
    secrets.push(nodePw);
    const root = await mkdtemp(join(tmpdir(), `multinic-fault-${index}-`));
    const netplanDir = join(root, 'etc', 'netplan');
    const stateDir = join(root, 'audit');
    await mkdir(netplanDir, { recursive: true });
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(netplanDir, FOREIGN_FILE.name), FOREIGN_FILE.content, { mode: 0o600 });
    const nics = Array.from({ length: perNode }, (_, k) => ({ name: `ens${k + 3}`, mac: `fa:16:3e:${index.toString(16).padStart(2, '0')}:${k.toString(16).padStart(2, '0')}:01` }));
    const sysfs = await FakeSysfs.create(nics, root);
    const agent = new RoleProcess(`agent ${name}`, ['agent', '--configure-this-host'], {
      ...dbEnv(agentDb),
      AMQP_URL: amqpUrl(amqpHosts, index, `multinic-node-${name}`, nodePw, vhost.vhost),
      AMQP_DECLARE_EXCHANGES: 'false',
      NODE_NAME: name,
      KUBECONFIG: kube.kubeconfigPath,
      KUBE_TIMEOUT: '2s',
      NETPLAN_DIR: netplanDir,
      NETPLAN_BACKUP_DIR: join(root, 'backups'),
      NETPLAN_BACKUP_KEEP: '5',
      SYSFS_NET_DIR: sysfs.root,
      NETPLAN_APPLY_COMMAND: JSON.stringify([process.execPath, applyScript, stateDir, netplanDir, sysfs.root]),
      NETPLAN_APPLY_TIMEOUT: '10s',
      // Fake sysfs: no kernel to verify against.
      IP_COMMAND: '',
      // Validation with the real `netplan generate` is covered by test/e2e and
      // test/integration/netplan; here it would cost ~0.3 s of CPU per change for nothing.
      NETPLAN_GENERATE_COMMAND: '',
      AGENT_NIC_WAIT: '2s',
      AGENT_MAX_RETRIES: '3',
      AGENT_RESYNC_INTERVAL: '20s',
      ...agentEnv,
    });
    const node: FleetNode = { name, index, root, netplanDir, stateDir, sysfs, agent };
    fleetNodes.push(node);
    for (const [k, nic] of nics.entries()) {
      const global = k * nodeCount + index;
      ports.push({ portId: `fp-${suffix}-${index}-${k}`, node, mac: nic.mac, global, address: `172.20.${Math.floor((global + 1) / 256)}.${(global + 1) % 256}` });
    }
  }
  ports.sort((a, b) => a.global - b.global);
  const publishers = Array.from({ length: publisherCount }, (_, i) => new RoleProcess(`publisher ${i + 1}`, ['publisher'], {
    ...dbEnv(publisherDb),
    AMQP_URL: amqpUrl(amqpHosts, i, publisherUser, publisherPw, vhost.vhost),
    PUBLISHER_POLL_INTERVAL: '500ms',
    PUBLISHER_RESEND_AFTER: '3s',
    PUBLISHER_NODE_REFRESH: '5s',
    PUBLISHER_LOCK_NAME: `mnfault-${suffix}`,
  }));

  return {
    t, vhost, kube, nodes: fleetNodes, ports, publishers, secrets,
    async cleanup() {
      await Promise.all([...fleetNodes.map((n) => n.agent), ...publishers].map((p) => p.kill('SIGKILL')));
      await kube.close().catch(() => undefined);
      await vhost.delete().catch(() => undefined);
      for (const u of rabbitUsers) await vhost.management.deleteUser(u).catch(() => undefined);
      await t.drop();
      for (const n of fleetNodes) await rm(n.root, { recursive: true, force: true });
    },
  };
}

/** Inserts the rows of these ports (one INSERT), pending for their nodes. */
export async function insertPorts(t: TestDatabase, ports: Port[]): Promise<void> {
  if (!ports.length) return;
  const storage = SEED.subnets[2]; // 172.20.0.0/22
  await t.sequelize.query(
    `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_id, attached_node_name, netplan_success, status, address, created_at, modified_at)
     SELECT v.port_id, ?, v.mac, n.attached_node_id, n.attached_node_name, 0, 'ACTIVE', v.address, NOW(3), NOW(3)
     FROM JSON_TABLE(?, '$[*]' COLUMNS (port_id VARCHAR(64) PATH '$.p', mac VARCHAR(32) PATH '$.m', address VARCHAR(64) PATH '$.a', node VARCHAR(255) PATH '$.n')) v
     JOIN node_table n ON n.attached_node_name = v.node`,
    { replacements: [storage.subnet_id, JSON.stringify(ports.map((p) => ({ p: p.portId, m: p.mac, a: p.address, n: p.node.name })))] },
  );
}

/** One (port, generation) line of a node's apply audit. */
export interface AuditLine {
  at: number;
  port?: string;
  generation?: number;
  noop?: boolean;
  failed?: boolean;
}

export async function readAudit(node: FleetNode): Promise<AuditLine[]> {
  const text = await readFile(join(node.stateDir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
}

/** MultiNIC's files in a node's netplan dir as (name, mac) pairs from their meta lines. */
export async function ownedPairs(node: FleetNode): Promise<Array<{ name: string; mac: string; portId: string }>> {
  const out: Array<{ name: string; mac: string; portId: string }> = [];
  for (const f of await readdir(node.netplanDir).catch(() => [] as string[])) {
    if (!f.startsWith('90-multinic-')) continue;
    const text = await readFile(join(node.netplanDir, f), 'utf8').catch(() => '');
    const meta = text.split('\n')[1];
    if (!meta?.startsWith('# multinic-meta: ')) continue;
    try {
      const m = JSON.parse(meta.slice('# multinic-meta: '.length)) as { name: string; macAddress: string; portId: string };
      out.push({ name: m.name, mac: m.macAddress, portId: m.portId });
    } catch {
      // A file caught mid-rename is read again at the next sample.
    }
  }
  return out;
}
