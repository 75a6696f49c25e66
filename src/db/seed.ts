import { Op, type Model, type ModelStatic, type Sequelize, type WhereOptions } from 'sequelize';
import { PermanentError } from '../errors/errors.js';
import { initModels, type Models } from './models.js';

/**
 * A small, realistic environment: two workers, a management network that is already
 * configured everywhere, and data networks still pending — one IPv4 with a static
 * address, one storage network with jumbo frames (MTU 9000), one IPv6, and one port
 * left to DHCP (no address). MACs use OpenStack's fa:16:3e prefix.
 */
export const SEED = {
  nodes: [
    { attached_node_id: 'c0a8f1d2-0001-4c1e-9a51-000000000001', attached_node_name: 'worker-node-1' },
    { attached_node_id: 'c0a8f1d2-0002-4c1e-9a51-000000000002', attached_node_name: 'worker-node-2' },
  ],
  subnets: [
    { subnet_id: '5e0b7c3a-mgmt-4d1e-8f00-000000000010', subnet_name: 'mgmt-net', cidr: '10.10.0.0/24', network_id: '9a1d2e3f-mgmt-4b00-8000-000000000010' },
    { subnet_id: '5e0b7c3a-data-4d1e-8f00-000000000020', subnet_name: 'data-net', cidr: '192.168.100.0/24', network_id: '9a1d2e3f-data-4b00-8000-000000000020' },
    { subnet_id: '5e0b7c3a-stor-4d1e-8f00-000000000030', subnet_name: 'storage-net', cidr: '172.20.0.0/22', network_id: '9a1d2e3f-stor-4b00-8000-000000000030' },
    { subnet_id: '5e0b7c3a-ipv6-4d1e-8f00-000000000040', subnet_name: 'data-v6', cidr: 'fd00:100::/64', network_id: '9a1d2e3f-ipv6-4b00-8000-000000000040' },
  ],
  interfaces: [
    { port_id: '7f3e2a10-0000-4000-8000-000000000111', node: 0, subnet: 0, macaddress: 'fa:16:3e:10:01:11', address: '10.10.0.11', mtu: null, netplan_success: 1 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000112', node: 0, subnet: 1, macaddress: 'fa:16:3e:10:01:12', address: '192.168.100.11', mtu: null, netplan_success: 0 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000113', node: 0, subnet: 2, macaddress: 'fa:16:3e:10:01:13', address: '172.20.1.11', mtu: 9000, netplan_success: 0 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000114', node: 0, subnet: 3, macaddress: 'fa:16:3e:10:01:14', address: 'fd00:100::11', mtu: 1500, netplan_success: 0 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000121', node: 1, subnet: 0, macaddress: 'fa:16:3e:10:02:11', address: '10.10.0.12', mtu: null, netplan_success: 1 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000122', node: 1, subnet: 1, macaddress: 'fa:16:3e:10:02:12', address: null, mtu: null, netplan_success: 0 },
    { port_id: '7f3e2a10-0000-4000-8000-000000000124', node: 1, subnet: 3, macaddress: 'fa:16:3e:10:02:14', address: 'fd00:100::12', mtu: null, netplan_success: 0 },
  ],
} as const;

/** The OpenStack tables the seed writes, by name. */
type SeedTable = 'node_table' | 'multi_subnet' | 'multi_interface' | 'cr_state';

/**
 * `db seed` met rows that are not its sample: a database in use. `foreign` counts them per
 * table (only tables that have any). The CLI exits 2 with the message.
 */
export class SeedRefusedError extends PermanentError {
  override name = 'SeedRefusedError';
  constructor(readonly foreign: Partial<Record<SeedTable, number>>) {
    const list = Object.entries(foreign).map(([table, n]) => `${table}: ${n} row${n === 1 ? '' : 's'}`).join(', ');
    super(
      `refusing to seed: the database holds rows that are not the sample (${list}); it looks in use. ` +
        '`multinic db seed --force` adds only the sample rows that are missing and never changes an existing row',
    );
  }
}

/** Per table, the sample rows inserted and those left as they were because a row with that key exists. */
export interface SeedResult {
  nodes: number;
  subnets: number;
  interfaces: number;
  inserted: Record<SeedTable, number>;
  kept: Record<SeedTable, number>;
}

const crNameOf = (node: string) => `multinic-${node}`;
const CR_NAMESPACE = 'multinic-system';

/** The sample's keys per table, as conditions: a row matching one is the sample's (or stands in its place). */
function sampleKeys(): Record<SeedTable, WhereOptions[]> {
  return {
    node_table: SEED.nodes.map((n) => ({ [Op.or]: [{ attached_node_id: n.attached_node_id }, { attached_node_name: n.attached_node_name }] })),
    multi_subnet: SEED.subnets.map((s) => ({ subnet_id: s.subnet_id })),
    multi_interface: SEED.interfaces.map((i) => ({ port_id: i.port_id })),
    cr_state: SEED.nodes.map((n) => ({ cr_namespace: CR_NAMESPACE, cr_name: crNameOf(n.attached_node_name) })),
  };
}

/** The sample's rows, per table, with their times. */
function sampleRows(now: Date): Record<SeedTable, Array<Record<string, unknown>>> {
  const times = { created_at: now, modified_at: now, deleted_at: null };
  return {
    node_table: SEED.nodes.map((n) => ({ ...n, status: 'ACTIVE', ...times })),
    multi_subnet: SEED.subnets.map((s) => ({ ...s, status: 'ACTIVE', ...times })),
    multi_interface: SEED.interfaces.map((i) => {
      const node = SEED.nodes[i.node]!;
      return {
        port_id: i.port_id,
        subnet_id: SEED.subnets[i.subnet]!.subnet_id,
        macaddress: i.macaddress,
        attached_node_id: node.attached_node_id,
        attached_node_name: node.attached_node_name,
        cr_namespace: CR_NAMESPACE,
        cr_name: crNameOf(node.attached_node_name),
        netplan_success: i.netplan_success,
        status: 'ACTIVE',
        address: i.address,
        mtu: i.mtu,
        ...times,
      };
    }),
    cr_state: SEED.nodes.map((n) => ({ cr_namespace: CR_NAMESPACE, cr_name: crNameOf(n.attached_node_name), spec_hash: null, last_updated: now })),
  };
}

/** The seed only counts and inserts plain rows, so one untyped model shape serves all four tables. */
const modelOf = (m: Models): Record<SeedTable, ModelStatic<Model>> => ({
  node_table: m.NodeRow as unknown as ModelStatic<Model>,
  multi_subnet: m.MultiSubnet as unknown as ModelStatic<Model>,
  multi_interface: m.MultiInterface as unknown as ModelStatic<Model>,
  cr_state: m.CrState as unknown as ModelStatic<Model>,
});

/**
 * Loads the sample (`SEED`) into a migrated database, insert-if-absent only: a sample row
 * whose key (or node name) already exists is left exactly as it is — a deleted port stays
 * deleted, a configured one keeps its netplan_success, no modified_at moves. On a database
 * that holds any row outside the sample it throws {@link SeedRefusedError} (naming the
 * tables and counts) and writes nothing, unless `force` is set; `force` still only inserts
 * missing sample rows. One transaction; `now` (default: the current time) stamps the
 * inserted rows. Throws the server's error when the tables do not exist (run `db migrate`).
 */
export async function seed(db: Sequelize, now: Date = new Date(), { force = false }: { force?: boolean } = {}): Promise<SeedResult> {
  const models = modelOf(initModels(db));
  const keys = sampleKeys();
  const rows = sampleRows(now);
  const tables = Object.keys(keys) as SeedTable[];
  const result: SeedResult = { nodes: SEED.nodes.length, subnets: SEED.subnets.length, interfaces: SEED.interfaces.length, inserted: zero(), kept: zero() };
  await db.transaction(async (transaction) => {
    const foreign: Partial<Record<SeedTable, number>> = {};
    for (const table of tables) {
      // Total minus the sample's: NOT (key = ...) would miss a row whose key columns are NULL.
      const n = (await models[table].count({ transaction })) - (await models[table].count({ where: { [Op.or]: keys[table] }, transaction }));
      if (n > 0) foreign[table] = n;
    }
    if (!force && Object.keys(foreign).length > 0) throw new SeedRefusedError(foreign);
    for (const table of tables) {
      const missing: Array<Record<string, unknown>> = [];
      for (const [i, where] of keys[table].entries()) {
        if ((await models[table].count({ where, transaction })) === 0) missing.push(rows[table][i]!);
      }
      // A plain INSERT: a row that appeared meanwhile fails the transaction instead of being overwritten.
      if (missing.length > 0) await models[table].bulkCreate(missing, { transaction });
      result.inserted[table] = missing.length;
      result.kept[table] = keys[table].length - missing.length;
    }
  });
  return result;
}

function zero(): Record<SeedTable, number> {
  return { node_table: 0, multi_subnet: 0, multi_interface: 0, cr_state: 0 };
}
