import { QueryTypes, type Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Log } from '../log/logger.js';

/**
 * MultiNIC's schema changes, in order. They create the OpenStack side's four tables on
 * an empty database and upgrade an existing one of that shape without touching its
 * rows: only CREATE ... IF NOT EXISTS, ADD COLUMN when missing, ADD INDEX when missing,
 * and MultiNIC's own tables. Nothing here ever drops or rewrites OpenStack data.
 */
interface Migration {
  name: string;
  up: (db: Sequelize) => Promise<void>;
}

async function columnExists(db: Sequelize, table: string, column: string): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    { replacements: [table, column], type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}

async function indexExists(db: Sequelize, table: string, index: string): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?',
    { replacements: [table, index], type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const MIGRATIONS: readonly Migration[] = [
  {
    name: '0001-openstack-tables',
    async up(db) {
      await db.query(`CREATE TABLE IF NOT EXISTS multi_subnet (
        subnet_id VARCHAR(64) NOT NULL PRIMARY KEY,
        subnet_name VARCHAR(255) NULL,
        cidr VARCHAR(64) NULL,
        network_id VARCHAR(64) NULL,
        status VARCHAR(32) NULL,
        created_at DATETIME(3) NULL,
        modified_at DATETIME(3) NULL,
        deleted_at DATETIME(3) NULL
      ) ${TABLE_OPTIONS}`);
      await db.query(`CREATE TABLE IF NOT EXISTS node_table (
        attached_node_id VARCHAR(64) NOT NULL PRIMARY KEY,
        attached_node_name VARCHAR(255) NOT NULL,
        status VARCHAR(32) NULL,
        created_at DATETIME(3) NULL,
        modified_at DATETIME(3) NULL,
        deleted_at DATETIME(3) NULL,
        UNIQUE KEY uq_node_table_name (attached_node_name)
      ) ${TABLE_OPTIONS}`);
      await db.query(`CREATE TABLE IF NOT EXISTS multi_interface (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        port_id VARCHAR(64) NOT NULL,
        subnet_id VARCHAR(64) NULL,
        macaddress VARCHAR(32) NULL,
        attached_node_id VARCHAR(64) NULL,
        attached_node_name VARCHAR(255) NULL,
        cr_namespace VARCHAR(255) NULL,
        cr_name VARCHAR(255) NULL,
        netplan_success TINYINT NOT NULL DEFAULT 0,
        status VARCHAR(32) NULL,
        created_at DATETIME(3) NULL,
        modified_at DATETIME(3) NULL,
        deleted_at DATETIME(3) NULL,
        address VARCHAR(45) NULL,
        mtu INT NULL,
        UNIQUE KEY uq_multi_interface_port (port_id)
      ) ${TABLE_OPTIONS}`);
      await db.query(`CREATE TABLE IF NOT EXISTS cr_state (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        cr_namespace VARCHAR(255) NOT NULL,
        cr_name VARCHAR(255) NOT NULL,
        spec_hash VARCHAR(64) NULL,
        last_updated DATETIME(3) NULL,
        UNIQUE KEY uq_cr_state (cr_namespace, cr_name)
      ) ${TABLE_OPTIONS}`);
    },
  },
  {
    name: '0002-interface-address-mtu',
    async up(db) {
      if (!(await columnExists(db, 'multi_interface', 'address'))) {
        await db.query('ALTER TABLE multi_interface ADD COLUMN address VARCHAR(45) NULL');
      }
      if (!(await columnExists(db, 'multi_interface', 'mtu'))) {
        await db.query('ALTER TABLE multi_interface ADD COLUMN mtu INT NULL');
      }
    },
  },
  {
    // The publisher's poll reads (netplan_success, deleted_at) ranges; the agent's
    // resync reads one node's rows. Without these both would scan the table.
    name: '0003-poll-indexes',
    async up(db) {
      if (!(await indexExists(db, 'multi_interface', 'ix_multi_interface_pending'))) {
        await db.query('ALTER TABLE multi_interface ADD INDEX ix_multi_interface_pending (netplan_success, deleted_at)');
      }
      if (!(await indexExists(db, 'multi_interface', 'ix_multi_interface_node'))) {
        await db.query('ALTER TABLE multi_interface ADD INDEX ix_multi_interface_node (attached_node_name, deleted_at)');
      }
    },
  },
  {
    name: '0004-multinic-port-state',
    async up(db) {
      await db.query(`CREATE TABLE IF NOT EXISTS multinic_port_state (
        port_id VARCHAR(64) NOT NULL PRIMARY KEY,
        node_name VARCHAR(255) NOT NULL,
        generation BIGINT NOT NULL,
        content_digest CHAR(32) NOT NULL,
        outcome VARCHAR(16) NOT NULL,
        interface_name VARCHAR(15) NULL,
        last_error VARCHAR(1000) NULL,
        event_id VARCHAR(128) NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY ix_port_state_node (node_name, outcome)
      ) ${TABLE_OPTIONS}`);
    },
  },
  {
    // The publisher watches multi_subnet every cycle (a fingerprint over this covering
    // index, never the table) and, when a subnet changed, reads the ports on it.
    name: '0005-subnet-watch-indexes',
    async up(db) {
      if (!(await indexExists(db, 'multi_subnet', 'ix_multi_subnet_watch'))) {
        await db.query('ALTER TABLE multi_subnet ADD INDEX ix_multi_subnet_watch (subnet_id, cidr, network_id, deleted_at)');
      }
      if (!(await indexExists(db, 'multi_interface', 'ix_multi_interface_subnet'))) {
        await db.query('ALTER TABLE multi_interface ADD INDEX ix_multi_interface_subnet (subnet_id, netplan_success)');
      }
    },
  },
];

/** Name of MultiNIC's migration bookkeeping table. */
export const MIGRATION_TABLE = 'multinic_migrations';

/** Applies every pending migration; returns the names applied (empty when up to date). */
export async function migrate(db: Sequelize, log: Pick<Log, 'info'>): Promise<string[]> {
  const umzug = new Umzug({
    migrations: MIGRATIONS.map((m) => ({ name: m.name, up: () => m.up(db) })),
    storage: new SequelizeStorage({ sequelize: db, tableName: MIGRATION_TABLE }),
    logger: undefined,
  });
  const done = await umzug.up();
  for (const m of done) log.info({ migration: m.name }, 'migration applied');
  return done.map((m) => m.name);
}
