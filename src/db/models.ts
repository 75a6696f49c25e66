import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

/**
 * Sequelize models of the four tables the OpenStack side writes (column names exact,
 * see docs/DESIGN.md) and of MultiNIC's own `multinic_port_state`. Timestamps are managed
 * by the writers, not by Sequelize: `modified_at` is the row's version, and MultiNIC's
 * own writes must never move it.
 */

const timestamps = {
  created_at: { type: DataTypes.DATE(3), allowNull: true },
  modified_at: { type: DataTypes.DATE(3), allowNull: true },
  deleted_at: { type: DataTypes.DATE(3), allowNull: true },
};
const modelOptions = { timestamps: false, freezeTableName: true } as const;

export class MultiSubnet extends Model<InferAttributes<MultiSubnet>, InferCreationAttributes<MultiSubnet>> {
  declare subnet_id: string;
  declare subnet_name: string | null;
  declare cidr: string | null;
  declare network_id: string | null;
  declare status: string | null;
  declare created_at: CreationOptional<Date | null>;
  declare modified_at: CreationOptional<Date | null>;
  declare deleted_at: CreationOptional<Date | null>;
}

export class NodeRow extends Model<InferAttributes<NodeRow>, InferCreationAttributes<NodeRow>> {
  declare attached_node_id: string;
  declare attached_node_name: string;
  declare status: string | null;
  declare created_at: CreationOptional<Date | null>;
  declare modified_at: CreationOptional<Date | null>;
  declare deleted_at: CreationOptional<Date | null>;
}

export class MultiInterface extends Model<InferAttributes<MultiInterface>, InferCreationAttributes<MultiInterface>> {
  declare id: CreationOptional<number>;
  declare port_id: string;
  declare subnet_id: string | null;
  declare macaddress: string | null;
  declare attached_node_id: string | null;
  declare attached_node_name: string | null;
  declare cr_namespace: string | null;
  declare cr_name: string | null;
  declare netplan_success: CreationOptional<number>;
  declare status: string | null;
  declare address: CreationOptional<string | null>;
  declare mtu: CreationOptional<number | null>;
  declare created_at: CreationOptional<Date | null>;
  declare modified_at: CreationOptional<Date | null>;
  declare deleted_at: CreationOptional<Date | null>;
}

export class CrState extends Model<InferAttributes<CrState>, InferCreationAttributes<CrState>> {
  declare id: CreationOptional<number>;
  declare cr_namespace: string;
  declare cr_name: string;
  declare spec_hash: string | null;
  declare last_updated: CreationOptional<Date | null>;
}

/** What MultiNIC last did with a port on its node; written by the agent, read by `status`. */
export const PortOutcome = {
  Configured: 'configured',
  Removed: 'removed',
  Failed: 'failed',
} as const;
export type PortOutcome = (typeof PortOutcome)[keyof typeof PortOutcome];

export class PortState extends Model<InferAttributes<PortState>, InferCreationAttributes<PortState>> {
  declare port_id: string;
  declare node_name: string;
  declare generation: number;
  declare content_digest: string;
  declare outcome: PortOutcome;
  declare interface_name: string | null;
  declare last_error: string | null;
  declare event_id: string | null;
  declare updated_at: Date;
}

const str = (n = 255) => ({ type: DataTypes.STRING(n), allowNull: true });

/** The models bound to one Sequelize instance. */
export interface Models {
  MultiSubnet: typeof MultiSubnet;
  NodeRow: typeof NodeRow;
  MultiInterface: typeof MultiInterface;
  CrState: typeof CrState;
  PortState: typeof PortState;
}

/**
 * Defines every model on a Sequelize instance. Each call makes fresh subclasses, so
 * two instances in one process (publisher and agent in a test, two database users)
 * never share a binding.
 */
export function initModels(sequelize: Sequelize): Models {
  const m: Models = {
    MultiSubnet: class extends MultiSubnet {},
    NodeRow: class extends NodeRow {},
    MultiInterface: class extends MultiInterface {},
    CrState: class extends CrState {},
    PortState: class extends PortState {},
  };
  m.MultiSubnet.init(
    {
      subnet_id: { type: DataTypes.STRING(64), primaryKey: true },
      subnet_name: str(),
      cidr: str(64),
      network_id: str(64),
      status: str(32),
      ...timestamps,
    },
    { ...modelOptions, sequelize, tableName: 'multi_subnet' },
  );
  m.NodeRow.init(
    {
      attached_node_id: { type: DataTypes.STRING(64), primaryKey: true },
      attached_node_name: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      status: str(32),
      ...timestamps,
    },
    { ...modelOptions, sequelize, tableName: 'node_table' },
  );
  m.MultiInterface.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      port_id: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      subnet_id: str(64),
      macaddress: str(32),
      attached_node_id: str(64),
      attached_node_name: str(),
      cr_namespace: str(),
      cr_name: str(),
      netplan_success: { type: DataTypes.TINYINT, allowNull: false, defaultValue: 0 },
      status: str(32),
      address: str(45),
      mtu: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    { ...modelOptions, sequelize, tableName: 'multi_interface' },
  );
  m.CrState.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      cr_namespace: { type: DataTypes.STRING(255), allowNull: false },
      cr_name: { type: DataTypes.STRING(255), allowNull: false },
      spec_hash: str(64),
      last_updated: { type: DataTypes.DATE(3), allowNull: true },
    },
    { ...modelOptions, sequelize, tableName: 'cr_state' },
  );
  m.PortState.init(
    {
      port_id: { type: DataTypes.STRING(64), primaryKey: true },
      node_name: { type: DataTypes.STRING(255), allowNull: false },
      generation: { type: DataTypes.BIGINT, allowNull: false },
      content_digest: { type: DataTypes.CHAR(32), allowNull: false },
      outcome: { type: DataTypes.STRING(16), allowNull: false },
      interface_name: { type: DataTypes.STRING(15), allowNull: true },
      last_error: { type: DataTypes.STRING(1000), allowNull: true },
      event_id: { type: DataTypes.STRING(128), allowNull: true },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { ...modelOptions, sequelize, tableName: 'multinic_port_state' },
  );
  return m;
}

/** The row version as carried in events: modified_at, else created_at, in ms since the epoch (UTC). */
export function generationOf(row: { modified_at: Date | null; created_at: Date | null }): number {
  return (row.modified_at ?? row.created_at ?? new Date(0)).getTime();
}
