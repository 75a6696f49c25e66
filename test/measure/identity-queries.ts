/**
 * What the node-identity rule and the subnet watch cost the database: the publisher's
 * subnet fingerprint (once per poll cycle) and the agent's listNodePorts (once per event
 * and resync: node_table's names with the distinct attached_node_name values, then the
 * node's rows), on a throwaway MariaDB database with SUBNETS subnets and NODES x PER_NODE
 * interfaces. Medians of RUNS runs each, and the plan MariaDB picks for the fingerprint.
 *
 *   npx tsx test/measure/identity-queries.ts [subnets] [nodes] [perNode]
 *
 * Prints one JSON line. Needs what `npm test` needs (MariaDB as root over /run/mysqld/mysqld.sock).
 */
import { QueryTypes } from 'sequelize';
import { migrate } from '../../src/db/index.js';
import { SequelizeInterfaceStore } from '../../src/db/interface-store.js';
import { createSqlSources, SUBNET_FINGERPRINT_SQL } from '../../src/db/sql-sources.js';
import { createTestDatabase } from '../helpers/mariadb.js';

const [SUBNETS, NODES, PER_NODE] = [Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 100), Number(process.argv[4] ?? 8)];
const RUNS = 50;

const median = async (work: () => Promise<unknown>) => {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return Number(times.sort((a, b) => a - b)[RUNS >> 1]!.toFixed(2));
};

const t = await createTestDatabase('mnidq');
try {
  await migrate(t.sequelize, { info: () => undefined });
  const q = (sql: string, replacements: unknown[] = []) => t.sequelize.query(sql, { replacements });
  for (let s = 0; s < SUBNETS; s += 500) {
    const batch = Array.from({ length: Math.min(500, SUBNETS - s) }, (_, k) => s + k);
    await q(`INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, created_at) VALUES ${batch.map(() => '(?, ?, ?, ?, NOW(3))').join(',')}`,
      batch.flatMap((i) => [`subnet-${i}`, `net-${i}`, `10.${i >> 8}.${i & 255}.0/24`, `network-${i}`]));
  }
  for (let n = 0; n < NODES; n++) {
    await q('INSERT INTO node_table (attached_node_id, attached_node_name) VALUES (?, ?)', [`id-${n}`, `worker-${n}`]);
    const rows = Array.from({ length: PER_NODE }, (_, k) => k);
    await q(`INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_name, netplan_success, address, created_at, modified_at) VALUES ${rows.map(() => "(?, ?, ?, ?, 1, NULL, NOW(3), NOW(3))").join(',')}`,
      rows.flatMap((k) => [`port-${n}-${k}`, `subnet-${(n * PER_NODE + k) % SUBNETS}`, `fa:16:3e:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}:${k.toString(16).padStart(2, '0')}`,
        k === 0 ? `worker-${n}.novalocal` : `worker-${n}`]));
  }
  await q('ANALYZE TABLE multi_subnet, multi_interface, node_table');
  const { subnets } = createSqlSources(t.sequelize);
  const store = new SequelizeInterfaceStore(t.sequelize);
  const listed = await store.listNodePorts('worker-7');
  if (listed.rows.length !== PER_NODE) throw new Error(`listNodePorts found ${listed.rows.length} rows of worker-7, expected ${PER_NODE} (one spelled worker-7.novalocal)`);
  const plan = await t.sequelize.query<Record<string, unknown>>(`EXPLAIN ${SUBNET_FINGERPRINT_SQL}`, { type: QueryTypes.SELECT });
  console.log(JSON.stringify({
    subnets: SUBNETS,
    interfaces: NODES * PER_NODE,
    fingerprintMs: await median(() => subnets.fingerprint()),
    fingerprintPlan: plan.map((p) => ({ key: p.key, extra: p.Extra })),
    listNodePortsMs: await median(() => store.listNodePorts('worker-7')),
  }));
} finally {
  await t.drop();
}
