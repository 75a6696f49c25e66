/**
 * The schema variants of the OpenStack side's four tables that MultiNIC must work on
 * (issue 12, point 3), each created as the OpenStack side would before `multinic db
 * migrate` ever runs, with rows in it. Used by schema-variants.test.ts.
 */

/** Who moves the row version when the OpenStack side edits a row. */
export const VersionMover = {
  /** `ON UPDATE CURRENT_TIMESTAMP` on the version column: the server. */
  Server: 'server',
  /** The writer sets `modified_at` itself. */
  Writer: 'writer',
  /** `modified_at` stays NULL and created_at does not move: the version stays, content tells. */
  Nobody: 'nobody',
} as const;
export type VersionMover = (typeof VersionMover)[keyof typeof VersionMover];

export interface SchemaVariant {
  name: string;
  /** Column definitions of created_at, modified_at, deleted_at (all four tables) and netplan_success. */
  created: string;
  modified: string;
  deleted: string;
  flag: string;
  /** Fractional digits the version column keeps (0, 3 or 6). */
  fsp: 0 | 3 | 6;
  /** The multi_interface columns the server rewrites on UPDATE, as information_schema must show them. */
  autoUpdated: string[];
  /** Whether rows keep modified_at NULL (the version is then created_at). */
  modifiedNull: boolean;
  /** Whether multi_interface already has `address` and `mtu` (the predecessor's schema did not). */
  addressMtu: boolean;
  collation: string;
  /** Session settings of the connection that creates the tables. */
  createSession: string[];
  /** Session time zone of the OpenStack writer (the row literals are given in it). */
  writerTimeZone: string;
  mover: VersionMover;
}

const base = {
  created: 'DATETIME NULL',
  deleted: 'DATETIME NULL',
  flag: 'TINYINT(1) NOT NULL DEFAULT 0',
  modifiedNull: false,
  addressMtu: true,
  collation: 'utf8mb4_general_ci',
  createSession: [] as string[],
  writerTimeZone: '+00:00',
};

export const VARIANTS: SchemaVariant[] = [
  {
    ...base,
    // The failing input of issue 12: MultiNIC's write moved modified_at 08:04:34 -> 08:05:04.
    name: 'TIMESTAMP ON UPDATE (issue 12), no address/mtu',
    created: 'TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP',
    modified: 'TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP',
    deleted: 'TIMESTAMP NULL DEFAULT NULL',
    fsp: 0,
    autoUpdated: ['modified_at'],
    addressMtu: false,
    mover: VersionMover.Server,
  },
  {
    ...base,
    name: 'TIMESTAMP(6) ON UPDATE, BOOLEAN',
    created: 'TIMESTAMP(6) NULL DEFAULT NULL',
    modified: 'TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)',
    deleted: 'TIMESTAMP(6) NULL DEFAULT NULL',
    flag: 'BOOLEAN NOT NULL DEFAULT FALSE',
    fsp: 6,
    autoUpdated: ['modified_at'],
    collation: 'utf8mb4_unicode_ci',
    mover: VersionMover.Server,
  },
  {
    ...base,
    name: 'TIMESTAMP, writer at +09:00',
    created: 'TIMESTAMP NULL DEFAULT NULL',
    modified: 'TIMESTAMP NULL DEFAULT NULL',
    deleted: 'TIMESTAMP NULL DEFAULT NULL',
    fsp: 0,
    autoUpdated: [],
    writerTimeZone: '+09:00',
    mover: VersionMover.Writer,
  },
  {
    ...base,
    name: 'DATETIME ON UPDATE, BOOLEAN',
    modified: 'DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP',
    flag: 'BOOLEAN NOT NULL DEFAULT 0',
    fsp: 0,
    autoUpdated: ['modified_at'],
    mover: VersionMover.Server,
  },
  {
    ...base,
    name: 'DATETIME(3) ON UPDATE',
    created: 'DATETIME(3) NULL',
    modified: 'DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)',
    deleted: 'DATETIME(3) NULL',
    fsp: 3,
    autoUpdated: ['modified_at'],
    collation: 'utf8mb4_bin',
    mover: VersionMover.Server,
  },
  {
    ...base,
    name: 'DATETIME(6), writer-set',
    created: 'DATETIME(6) NULL',
    modified: 'DATETIME(6) NULL',
    deleted: 'DATETIME(6) NULL',
    fsp: 6,
    autoUpdated: [],
    mover: VersionMover.Writer,
  },
  {
    ...base,
    name: 'DATETIME, writer-set, BOOLEAN',
    modified: 'DATETIME NULL',
    flag: 'BOOLEAN NOT NULL DEFAULT 0',
    fsp: 0,
    autoUpdated: [],
    addressMtu: false,
    mover: VersionMover.Writer,
  },
  {
    ...base,
    name: 'modified_at NULL (created_at is the version)',
    created: 'DATETIME(3) NULL',
    modified: 'DATETIME(3) NULL',
    fsp: 3,
    autoUpdated: [],
    modifiedNull: true,
    mover: VersionMover.Nobody,
  },
  {
    ...base,
    // MySQL 5.x / MariaDB before 10.10 defaults: the first TIMESTAMP column, declared without
    // NULL or DEFAULT, silently gets DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP.
    name: 'explicit_defaults_for_timestamp=OFF, modified_at NULL',
    created: 'TIMESTAMP',
    modified: 'TIMESTAMP NULL DEFAULT NULL',
    deleted: 'TIMESTAMP NULL DEFAULT NULL',
    fsp: 0,
    autoUpdated: ['created_at'],
    modifiedNull: true,
    createSession: ['SET SESSION explicit_defaults_for_timestamp = 0'],
    mover: VersionMover.Server,
  },
];

/** The OpenStack side's tables in a variant's shape (column names exact, as in DESIGN.md). */
export function variantTables(v: SchemaVariant): string[] {
  const times = `created_at ${v.created}, modified_at ${v.modified}, deleted_at ${v.deleted}`;
  const options = `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${v.collation}`;
  const addressMtu = v.addressMtu ? ', address VARCHAR(45) NULL, mtu INT NULL' : '';
  return [
    `CREATE TABLE multi_subnet (subnet_id VARCHAR(36) PRIMARY KEY, subnet_name VARCHAR(255), cidr VARCHAR(64), network_id VARCHAR(36), status VARCHAR(16), ${times}) ${options}`,
    `CREATE TABLE node_table (attached_node_id VARCHAR(36) PRIMARY KEY, attached_node_name VARCHAR(255) NOT NULL UNIQUE, status VARCHAR(16), ${times}) ${options}`,
    `CREATE TABLE multi_interface (id INT AUTO_INCREMENT PRIMARY KEY, port_id VARCHAR(36) NOT NULL UNIQUE, subnet_id VARCHAR(36), macaddress VARCHAR(17),
       attached_node_id VARCHAR(36), attached_node_name VARCHAR(255), cr_namespace VARCHAR(255), cr_name VARCHAR(255),
       netplan_success ${v.flag}, status VARCHAR(16), ${times}${addressMtu}) ${options}`,
    `CREATE TABLE cr_state (id INT AUTO_INCREMENT PRIMARY KEY, cr_namespace VARCHAR(255), cr_name VARCHAR(255), spec_hash VARCHAR(64), last_updated DATETIME) ${options}`,
  ];
}

/** Names with characters outside ASCII, stored in utf8mb4 (a 4-byte emoji included). */
export const SUBNET_NAME = 'データ網-größe-🚀';
export const ODD_NODE = 'wörker-2';

/** The primary key of each table, for digests in a stable order. */
export const TABLE_KEYS = { multi_subnet: 'subnet_id', node_table: 'attached_node_id', multi_interface: 'id', cr_state: 'id' } as const;
export type OpenStackTable = keyof typeof TABLE_KEYS;

/**
 * `iso` (UTC, milliseconds or microseconds) as a literal in the writer's time zone, cut to
 * the column's fractional digits: what an OpenStack writer in that zone would write.
 */
export function literalAt(iso: string, fsp: number, timeZone: string): string {
  const [, sign, hh, mm] = /^([+-])(\d\d):(\d\d)$/.exec(timeZone)!;
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)) * 60_000;
  const micros = /\.(\d+)Z$/.exec(iso)?.[1]?.padEnd(6, '0') ?? '000000';
  const wall = new Date(Date.parse(iso) + offsetMs).toISOString().slice(0, 19).replace('T', ' ');
  return fsp === 0 ? wall : `${wall}.${micros.slice(0, fsp)}`;
}

/** The generation MultiNIC derives from a literal written at `iso`: milliseconds, truncated. */
export function generationAt(iso: string, fsp: number): number {
  const ms = Math.floor(Date.parse(iso) / 1000) * 1000;
  const fraction = /\.(\d+)Z$/.exec(iso)?.[1]?.padEnd(6, '0') ?? '000000';
  return ms + (fsp === 0 ? 0 : Number(fraction.slice(0, Math.min(fsp, 3))));
}
