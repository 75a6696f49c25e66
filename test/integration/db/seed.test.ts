import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { QueryTypes, type Sequelize } from 'sequelize';
import { migrate, seed, SEED, SeedRefusedError } from '../../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

const TABLES = ['node_table', 'multi_subnet', 'multi_interface', 'cr_state'] as const;
const CONFIGURED = SEED.interfaces[1].port_id; // pending in the sample; the agent configured it since
const DELETED = SEED.interfaces[2].port_id; // configured, then deleted by the OpenStack side
const run = promisify(execFile);

/** Every row of every OpenStack table, all columns, as the server prints them (session UTC). */
async function everything(db: Sequelize): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) out[t] = await db.query(`SELECT * FROM ${t} ORDER BY 1`, { type: QueryTypes.SELECT });
  return out;
}

/** A database in use: the sample, worked on by the agent and the OpenStack side, plus rows of its own. */
async function inUse(db: Sequelize): Promise<void> {
  await seed(db, new Date('2026-11-30T08:00:00.123Z'));
  await db.query('UPDATE multi_interface SET netplan_success = 1 WHERE port_id = ?', { replacements: [CONFIGURED] });
  await db.query("UPDATE multi_interface SET netplan_success = 1, deleted_at = '2026-11-30 08:04:34.500', modified_at = '2026-11-30 08:04:34.500' WHERE port_id = ?", { replacements: [DELETED] });
  await db.query("INSERT INTO node_table (attached_node_id, attached_node_name, status, created_at, modified_at) VALUES ('prod-id-1', 'prod-node-1', 'ACTIVE', NOW(3), NOW(3))");
  await db.query("INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, status, created_at, modified_at) VALUES ('prod-subnet', 'prod', '10.99.0.0/24', 'prod-net', 'ACTIVE', NOW(3), NOW(3))");
  for (const port of ['prod-port-1', 'prod-port-2']) {
    await db.query(
      "INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_name, netplan_success, created_at, modified_at) VALUES (?, 'prod-subnet', 'fa:16:3e:99:00:01', 'prod-node-1', 1, NOW(3), NOW(3))",
      { replacements: [port] },
    );
  }
}

describe('db seed on a database in use (real MariaDB)', function () {
  let t: TestDatabase;
  beforeEach(async function () {
    t = await createTestDatabase('mnseed');
    await migrate(t.sequelize, { info: () => undefined });
  });
  afterEach(async function () {
    await t?.drop();
  });

  it('refuses when the tables hold rows that are not its sample, naming tables and counts, and writes nothing', async function () {
    await inUse(t.sequelize);
    const before = await everything(t.sequelize);
    const err = await seed(t.sequelize).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(SeedRefusedError);
    expect((err as SeedRefusedError).foreign).to.deep.equal({ node_table: 1, multi_subnet: 1, multi_interface: 2 });
    expect((err as Error).message).to.include('node_table: 1 row, multi_subnet: 1 row, multi_interface: 2 rows').and.include('--force');
    expect(await everything(t.sequelize)).to.deep.equal(before);
  });

  it('with --force inserts only missing sample rows: a deleted port stays deleted, netplan_success and modified_at stay', async function () {
    await inUse(t.sequelize);
    await t.sequelize.query("DELETE FROM cr_state WHERE cr_name = 'multinic-worker-node-2'");
    const before = await everything(t.sequelize);

    const result = await seed(t.sequelize, new Date('2027-01-01T00:00:00Z'), { force: true });

    expect(result.inserted).to.deep.equal({ node_table: 0, multi_subnet: 0, multi_interface: 0, cr_state: 1 });
    expect(result.kept).to.deep.equal({ node_table: 2, multi_subnet: 4, multi_interface: SEED.interfaces.length, cr_state: 1 });
    const after = await everything(t.sequelize);
    expect({ ...after, cr_state: before.cr_state }).to.deep.equal(before);
    expect(after.cr_state).to.have.length(before.cr_state!.length + 1);
    const [deleted] = await t.sequelize.query<{ d: string | null; f: number }>('SELECT CAST(deleted_at AS CHAR) AS d, netplan_success AS f FROM multi_interface WHERE port_id = ?', { replacements: [DELETED], type: QueryTypes.SELECT });
    expect(deleted).to.deep.equal({ d: '2026-11-30 08:04:34.500', f: 1 });
  });

  it('run again on its own sample changes nothing, even rows the agent has configured since', async function () {
    await seed(t.sequelize, new Date('2026-11-30T08:00:00.123Z'));
    await t.sequelize.query('UPDATE multi_interface SET netplan_success = 1 WHERE port_id = ?', { replacements: [CONFIGURED] });
    const before = await everything(t.sequelize);
    const result = await seed(t.sequelize, new Date('2027-01-01T00:00:00Z'));
    expect(Object.values(result.inserted)).to.deep.equal([0, 0, 0, 0]);
    expect(await everything(t.sequelize)).to.deep.equal(before);
  });

  it('`multinic db seed` exits 2 naming the tables on a database in use, and 0 with --force', async function () {
    this.timeout(60_000);
    await inUse(t.sequelize);
    const { DB_SOCKET: _ignored, ...inherited } = process.env;
    const env = { ...inherited, MULTINIC_FROM_SOURCE: '1', DB_HOST: t.db.host, DB_PORT: String(t.db.port), DB_USER: t.db.user, DB_PASSWORD: t.db.password, DB_NAME: t.db.name, LOG_FORMAT: 'json' };
    const refused = await run(process.execPath, ['bin/multinic.js', 'db', 'seed'], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused.code, refused.stderr).to.equal(2);
    expect(refused.stderr).to.match(/^multinic db seed: refusing to seed: .*multi_interface: 2 rows/);
    const forced = await run(process.execPath, ['bin/multinic.js', 'db', 'seed', '--force'], { env });
    expect(forced.stdout).to.include('"multi_interface":0');
  });
});
