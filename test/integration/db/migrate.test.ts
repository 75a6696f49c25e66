import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { createDatabaseIfMissing, generationOf, initModels, migrate, seed, SEED } from '../../../src/db/index.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { adminConnection, createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { uniqueSuffix } from '../../helpers/ids.js';

describe('db migrations and seed (real MariaDB)', () => {
  let t: TestDatabase;
  const { log } = createRingLogger();
  beforeEach(async () => {
    t = await createTestDatabase();
  });
  afterEach(async () => {
    await t?.drop();
  });

  it('creates every table on an empty database and is a no-op the second time', async () => {
    const first = await migrate(t.sequelize, log);
    expect(first).to.include('0001-openstack-tables');
    const second = await migrate(t.sequelize, log);
    expect(second).to.deep.equal([]);
    const tables = await t.sequelize.query<{ t: string }>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()', { type: QueryTypes.SELECT });
    expect(tables.map((r) => r.t)).to.include.members(['multi_subnet', 'node_table', 'multi_interface', 'cr_state', 'multinic_port_state', 'multinic_migrations']);
  });

  it('upgrades an OpenStack-shaped database without address/mtu, keeping its rows byte for byte', async () => {
    await t.sequelize.query(`CREATE TABLE multi_subnet (subnet_id VARCHAR(36) PRIMARY KEY, subnet_name VARCHAR(255), cidr VARCHAR(64), network_id VARCHAR(36), status VARCHAR(16), created_at DATETIME, modified_at DATETIME, deleted_at DATETIME)`);
    await t.sequelize.query(`CREATE TABLE node_table (attached_node_id VARCHAR(36) PRIMARY KEY, attached_node_name VARCHAR(255) UNIQUE, status VARCHAR(16), created_at DATETIME, modified_at DATETIME, deleted_at DATETIME)`);
    await t.sequelize.query(`CREATE TABLE multi_interface (id INT AUTO_INCREMENT PRIMARY KEY, port_id VARCHAR(36) UNIQUE, subnet_id VARCHAR(36), macaddress VARCHAR(17), attached_node_id VARCHAR(36), attached_node_name VARCHAR(255), cr_namespace VARCHAR(255), cr_name VARCHAR(255), netplan_success TINYINT DEFAULT 0, status VARCHAR(16), created_at DATETIME, modified_at DATETIME, deleted_at DATETIME)`);
    await t.sequelize.query(`CREATE TABLE cr_state (id INT AUTO_INCREMENT PRIMARY KEY, cr_namespace VARCHAR(255), cr_name VARCHAR(255), spec_hash VARCHAR(64), last_updated DATETIME)`);
    await t.sequelize.query(`INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_name, netplan_success, created_at, modified_at) VALUES ('p-legacy', 's1', 'fa:16:3e:00:00:01', 'worker-1', 1, '2024-01-02 03:04:05', '2024-01-02 03:04:06')`);
    const before = await t.sequelize.query('SELECT * FROM multi_interface', { type: QueryTypes.SELECT });

    const applied = await migrate(t.sequelize, log);

    expect(applied).to.deep.equal(['0001-openstack-tables', '0002-interface-address-mtu', '0003-poll-indexes', '0004-multinic-port-state', '0005-subnet-watch-indexes']);
    const after = await t.sequelize.query<Record<string, unknown>>('SELECT * FROM multi_interface', { type: QueryTypes.SELECT });
    expect(after).to.have.length(1);
    const { address, mtu, ...rest } = after[0]!;
    expect(rest).to.deep.equal(before[0]);
    expect(address).to.equal(null);
    expect(mtu).to.equal(null);
    const idx = await t.sequelize.query<{ k: string }>("SELECT DISTINCT INDEX_NAME AS k FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'multi_interface'", { type: QueryTypes.SELECT });
    expect(idx.map((r) => r.k)).to.include.members(['ix_multi_interface_pending', 'ix_multi_interface_node']);
  });

  it('seeds two workers with applied and pending interfaces, idempotently', async () => {
    await migrate(t.sequelize, log);
    await seed(t.sequelize);
    await seed(t.sequelize);
    const m = initModels(t.sequelize);
    expect(await m.NodeRow.count()).to.equal(2);
    const rows = await m.MultiInterface.findAll({ order: [['port_id', 'ASC']] });
    expect(rows).to.have.length(SEED.interfaces.length);
    expect(rows.filter((r) => r.netplan_success === 1)).to.have.length(2);
    expect(rows.some((r) => r.mtu === 9000)).to.equal(true);
    expect(rows.some((r) => r.address === null)).to.equal(true);
    expect(rows.some((r) => r.address?.includes(':'))).to.equal(true);
    expect(generationOf(rows[0]!)).to.be.a('number').and.greaterThan(0);
  });

  it('creates a missing database for `db migrate`, and only once', async () => {
    const name = `mnt_create_${uniqueSuffix()}`;
    const admin = await adminConnection();
    try {
      const db = { host: '127.0.0.1', port: 3306, socketPath: '/run/mysqld/mysqld.sock', user: 'root', password: '', name };
      expect(await createDatabaseIfMissing(db)).to.equal(true);
      expect(await createDatabaseIfMissing(db)).to.equal(false);
      const [rows] = await admin.query('SELECT DEFAULT_COLLATION_NAME AS c FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
      expect(rows).to.deep.equal([{ c: 'utf8mb4_bin' }]);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    }
  });
});
