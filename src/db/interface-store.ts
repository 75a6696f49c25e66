import { Op, QueryTypes, type Sequelize, type WhereOptions } from 'sequelize';
import type { InterfaceStore, NodePorts, PortOutcomeRecord, PortRow } from '../model/ports.js';
import { sameContent } from '../model/content.js';
import { rowOwner, sameNode } from '../model/node-identity.js';
import { isInvalid } from '../events/network.js';
import type { InterfaceEventData } from '../events/types.js';
import {
  INTERFACE_ROW_SELECT,
  interfaceDataFromRow,
  readInterfaceRows,
  normalizeRow,
  readPortInterfaceRow,
  rowDeleted,
  rowGeneration,
  type InterfaceRowWithSubnet,
} from './interface-row.js';
import { initModels, type Models } from './models.js';
import { OpenStackRowUpdater } from './openstack-update.js';

/** The row as the agent sees it; `lastFailure` only where the query joined multinic_port_state. */
function toPortRow(row: InterfaceRowWithSubnet, failure?: { generation: number; error: string } | null): PortRow {
  return {
    portId: row.port_id,
    nodeName: row.attached_node_name,
    generation: rowGeneration(row),
    deleted: rowDeleted(row),
    netplanSuccess: row.netplan_success === 1,
    data: interfaceDataFromRow(row),
    lastFailure: failure ?? null,
  };
}

/**
 * A time column equal to `at` to the millisecond: a half-open range, because a generation
 * keeps milliseconds while the column may keep microseconds (DATETIME(6), TIMESTAMP(6)),
 * which the driver truncates on read; for second or millisecond precision it is plain
 * equality. Null matches only null.
 */
function sameMillisecond(column: 'modified_at' | 'created_at', at: Date | null): WhereOptions {
  return { [column]: at === null ? null : { [Op.gte]: at, [Op.lt]: new Date(at.getTime() + 1) } };
}

/**
 * The agent's database access over Sequelize. Writes are conditional updates that change
 * ONLY `multi_interface.netplan_success`, through {@link OpenStackRowUpdater}, so that
 * MultiNIC's own write never becomes a new row version on any schema (a `modified_at`
 * with `ON UPDATE CURRENT_TIMESTAMP` is assigned its own value); the outcome of each
 * event goes to MultiNIC's own `multinic_port_state`. Every method throws on any
 * failure; none answers "no rows" for an error.
 */
export class SequelizeInterfaceStore implements InterfaceStore {
  private readonly m: Models;
  private readonly updater: OpenStackRowUpdater;

  constructor(
    private readonly db: Sequelize,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.m = initModels(db);
    this.updater = new OpenStackRowUpdater(db, () => now().getTime());
  }

  async getPort(portId: string): Promise<PortRow | undefined> {
    await this.prepareWrites();
    const row = await readPortInterfaceRow(this.db, portId);
    return row && toPortRow(row);
  }

  /**
   * The rows of `portIds` in one query (`port_id IN (...)`), by port id. The once-a-minute
   * read of the kept columns (prepareWrites) runs beside it, not before it: the batch's
   * writes come after both.
   */
  async getPorts(portIds: readonly string[]): Promise<Map<string, PortRow>> {
    const ids = [...new Set(portIds)];
    const [, rows] = await Promise.all([
      this.prepareWrites(),
      ids.length === 0 ? [] : readInterfaceRows(this.db, { where: 'i.port_id IN (?)', replacements: [ids] }),
    ]);
    return new Map(rows.map((r) => [r.port_id, toPortRow(r)]));
  }

  /**
   * Compare-and-set in one statement: sets netplan_success = 1 where the row is still this
   * port on this node at this generation, not deleted, with the MAC, subnet, address and
   * MTU that were applied, and its subnet still has the applied cidr and network. The
   * handler read the row moments before, so reading it again would only cost a round
   * trip. Only when nothing matched does it read the row, to tell "changed meanwhile"
   * (false) from a row whose stored text differs from its canonical form (e.g. an
   * upper-case IPv6 address), which is then compared as before.
   */
  async markConfigured(applied: InterfaceEventData): Promise<boolean> {
    if (await this.setFlag(1, this.stillApplied(applied))) return true;
    return this.markConfiguredAsRead(applied);
  }

  /**
   * The batch's compare-and-set: one UPDATE whose WHERE is the OR of every row's
   * markConfigured condition. When it changed every row, all are done; otherwise (a row
   * changed meanwhile, one already at 1, a port listed twice, stored text not in canonical
   * form) each row goes through markConfigured, which is idempotent.
   */
  async markConfiguredMany(applied: readonly InterfaceEventData[]): Promise<boolean[]> {
    if (applied.length === 0) return [];
    if (applied.length === 1) return [await this.markConfigured(applied[0]!)];
    const changed = await this.updater.update(this.m.MultiInterface, { netplan_success: 1 }, { [Op.or]: applied.map((a) => this.stillApplied(a)) });
    if (changed === applied.length) return applied.map(() => true);
    const out: boolean[] = [];
    for (const a of applied) out.push(await this.markConfigured(a));
    return out;
  }

  /** The row is still this port on this node at this generation, live, with the applied content and subnet. */
  private stillApplied(applied: InterfaceEventData): WhereOptions {
    return {
      ...this.appliedVersion(applied),
      deleted_at: null,
      macaddress: applied.macAddress,
      subnet_id: applied.subnetId,
      address: applied.address,
      mtu: applied.mtu,
      [Op.and]: [this.subnetUnchanged(applied.subnetId, applied.cidr, applied.networkId)],
    };
  }

  /** The read-then-update path, for a row whose stored columns are not byte-equal to the applied data. */
  private async markConfiguredAsRead(applied: InterfaceEventData): Promise<boolean> {
    const row = await readPortInterfaceRow(this.db, applied.portId);
    if (!row || row.deleted_at !== null || row.attached_node_name !== applied.nodeName || rowGeneration(row) !== applied.generation) return false;
    const data = interfaceDataFromRow(row);
    if (isInvalid(data) || !sameContent(data, applied)) return false;
    if (row.netplan_success === 1) return true;
    // A valid row has a subnet with cidr and network_id, so plain equality is exact here.
    const subnetUnchanged = this.subnetUnchanged(row.subnet_id!, row.cidr!, row.network_id!);
    return this.setFlag(1, { ...this.sameVersion(row), deleted_at: null, macaddress: row.macaddress, subnet_id: row.subnet_id, address: row.address, mtu: row.mtu, [Op.and]: [subnetUnchanged] });
  }

  /**
   * Sets netplan_success = 0 on this node's deleted row of this generation, in one
   * statement; false when it is live again or moved on (then one read confirms it, as a
   * generation kept in integer epochs cannot match a DATE comparison).
   */
  async markRemoved(data: InterfaceEventData): Promise<boolean> {
    if (await this.setFlag(0, { ...this.appliedVersion(data), [Op.and]: [this.goneCondition()] })) return true;
    const row = await readPortInterfaceRow(this.db, data.portId);
    if (!row || !rowDeleted(row) || row.attached_node_name !== data.nodeName || rowGeneration(row) !== data.generation) return false;
    if (row.netplan_success === 0) return true;
    return this.setFlag(0, { ...this.sameVersion(row), [Op.and]: [this.goneCondition()] });
  }

  /** The row is deleted, or its subnet is (see rowDeleted). */
  private goneCondition() {
    return this.db.literal(
      '(deleted_at IS NOT NULL OR EXISTS (SELECT 1 FROM multi_subnet s WHERE s.subnet_id = multi_interface.subnet_id AND s.deleted_at IS NOT NULL))',
    );
  }

  /**
   * The row of this port and node at the event's generation: modified_at, or created_at
   * where modified_at is null, to the millisecond. Model-level conditions on the DATE(3)
   * attributes keep the milliseconds (raw replacements would drop them).
   */
  private appliedVersion(data: Pick<InterfaceEventData, 'portId' | 'nodeName' | 'generation'>): WhereOptions {
    const at = new Date(data.generation);
    return {
      port_id: data.portId,
      attached_node_name: data.nodeName,
      [Op.or]: [sameMillisecond('modified_at', at), { modified_at: null, ...sameMillisecond('created_at', at) }],
    };
  }

  private subnetUnchanged(subnetId: string, cidr: string, networkId: string) {
    return this.db.literal(
      `EXISTS (SELECT 1 FROM multi_subnet s WHERE s.subnet_id = ${this.db.escape(subnetId)} AND s.cidr = ${this.db.escape(cidr)} AND s.network_id = ${this.db.escape(networkId)} AND s.deleted_at IS NULL)`,
    );
  }

  /** The row's identity and version exactly as read: a concurrent edit makes the update match nothing. */
  private sameVersion(row: InterfaceRowWithSubnet): WhereOptions {
    return {
      id: row.id,
      port_id: row.port_id,
      attached_node_name: row.attached_node_name,
      ...sameMillisecond('modified_at', row.modified_at),
      ...sameMillisecond('created_at', row.created_at),
    };
  }

  /** Reads (at most once a minute) which columns a write must keep; see OpenStackRowUpdater. */
  private prepareWrites(): Promise<void> {
    return this.updater.prepare(this.m.MultiInterface.getTableName() as string);
  }

  private async setFlag(value: 0 | 1, where: WhereOptions): Promise<boolean> {
    return (await this.updater.update(this.m.MultiInterface, { netplan_success: value }, where)) === 1;
  }

  /**
   * Records the port's last outcome. A removal never overwrites another node's
   * 'configured' record: after a move that record is how the publisher knows where the
   * port lives (and where to send the next move's detach), and the old node's removal
   * may land after the new node configured it.
   */
  async recordOutcome(record: PortOutcomeRecord): Promise<void> {
    const values = this.stateRow(record);
    if (record.outcome !== 'removed') {
      await this.m.PortState.upsert(values);
      return;
    }
    const { port_id: _port, ...changes } = values;
    const [updated] = await this.m.PortState.update(changes, {
      where: { port_id: record.portId, [Op.not]: { node_name: { [Op.ne]: record.nodeName }, outcome: 'configured' } },
    });
    if (updated === 0) await this.m.PortState.findOrCreate({ where: { port_id: record.portId }, defaults: values });
  }

  /**
   * Every record but removals in one `INSERT ... ON DUPLICATE KEY UPDATE`; a port listed
   * twice keeps its last record. A removal goes through recordOutcome (it must not
   * overwrite another node's 'configured' record).
   */
  async recordOutcomes(records: readonly PortOutcomeRecord[]): Promise<void> {
    const last = [...new Map(records.map((r) => [r.portId, r])).values()];
    const upserts = last.filter((r) => r.outcome !== 'removed');
    const columns = ['node_name', 'generation', 'content_digest', 'outcome', 'interface_name', 'last_error', 'event_id', 'updated_at'] as const;
    if (upserts.length > 0) await this.m.PortState.bulkCreate(upserts.map((r) => this.stateRow(r)), { updateOnDuplicate: [...columns] });
    for (const r of last) if (r.outcome === 'removed') await this.recordOutcome(r);
  }

  private stateRow(record: PortOutcomeRecord) {
    return {
      port_id: record.portId,
      node_name: record.nodeName,
      generation: record.generation,
      content_digest: record.contentDigest,
      outcome: record.outcome,
      interface_name: record.interfaceName,
      last_error: record.lastError === null ? null : record.lastError.slice(0, 1000),
      event_id: record.eventId,
      updated_at: this.now(),
    };
  }

  /**
   * Two queries: node_table's live names with every distinct attached_node_name of
   * multi_interface (a loose scan of ix_multi_interface_node), from which the identity
   * rule picks this node's spellings; then every row (live and deleted) of those
   * spellings with its subnet and the failure recorded for each. Names that may be this
   * node but fit several node_table names are reported in `unaccounted`, never listed as
   * rows. (Like getPort, it also refreshes the write's kept columns when they are a
   * minute old.)
   */
  async listNodePorts(nodeName: string): Promise<NodePorts> {
    await this.prepareWrites();
    const names = await this.db.query<{ name: string; in_table: number | string }>(
      `SELECT attached_node_name AS name, 1 AS in_table FROM node_table WHERE deleted_at IS NULL
       UNION ALL SELECT DISTINCT attached_node_name, 0 FROM multi_interface WHERE attached_node_name IS NOT NULL`,
      { type: QueryTypes.SELECT },
    );
    const nodeTable = names.filter((n) => Number(n.in_table) === 1).map((n) => n.name).sort();
    const spellings = new Set([nodeName]);
    const unaccounted: string[] = [];
    for (const { name, in_table } of names) {
      if (Number(in_table) === 1 || !sameNode(name, nodeName)) continue;
      const owner = rowOwner(name, nodeName, nodeTable);
      if (owner.owner === 'this') spellings.add(name);
      else if (owner.owner === 'ambiguous') unaccounted.push(`${owner.reason}: its rows are not accounted for on this node`);
    }
    const raw = await this.db.query<Record<string, unknown>>(
      `SELECT r.*, p.outcome AS p_outcome, p.generation AS p_generation, p.last_error AS p_last_error
       FROM (${INTERFACE_ROW_SELECT} WHERE i.attached_node_name IN (?)) r
       LEFT JOIN multinic_port_state p ON p.port_id = r.port_id
       ORDER BY r.id`,
      { replacements: [[...spellings]], type: QueryTypes.SELECT },
    );
    const rows = raw.map((r) =>
      toPortRow(normalizeRow(r), r.p_outcome === 'failed' ? { generation: Number(r.p_generation), error: String(r.p_last_error ?? '') } : null),
    );
    return { nodeName, known: nodeTable.includes(nodeName), rows, nodeTable, unaccounted };
  }

  /** attached_node_name of every live node_table row, sorted: the names the identity rule and the not-in-node_table suggestions use. */
  async listNodeNames(): Promise<string[]> {
    const rows = await this.m.NodeRow.findAll({ attributes: ['attached_node_name'], where: { deleted_at: null }, order: [['attached_node_name', 'ASC']], raw: true });
    return rows.map((r) => r.attached_node_name);
  }
}
