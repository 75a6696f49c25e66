import { QueryTypes, type Model, type ModelStatic, type QueryOptions, type Sequelize, type WhereOptions } from 'sequelize';
import { PermanentError } from '../errors/errors.js';

/**
 * The columns of `table` that the server rewrites by itself on every UPDATE that changes
 * the row (`ON UPDATE CURRENT_TIMESTAMP`, on a TIMESTAMP or DATETIME column), in column
 * order. MariaDB reports them in information_schema.COLUMNS.EXTRA as
 * `on update current_timestamp()`, MySQL 8 as `DEFAULT_GENERATED on update CURRENT_TIMESTAMP`;
 * both match. A legacy table created with `explicit_defaults_for_timestamp=OFF` shows the
 * implicit attribute of its first TIMESTAMP column here too. Throws on a query failure.
 */
export async function autoUpdatedColumns(db: Sequelize, table: string): Promise<string[]> {
  const rows = await db.query<{ c: string }>(
    `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND LOWER(EXTRA) LIKE '%on update%'
     ORDER BY ORDINAL_POSITION`,
    { replacements: [table], type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.c);
}

/** How long a table's auto-updated columns are trusted before they are read again: 60 s. */
export const AUTO_UPDATED_REFRESH_MS = 60_000;

/**
 * The one way MultiNIC updates a row of a table the OpenStack side owns (`multi_interface`
 * and the others): it sets `values` and assigns every auto-updated column its own value
 * (`SET netplan_success = ?, modified_at = modified_at`), which is the documented way to
 * keep such a column unchanged ("To prevent an auto-updated column from updating when
 * other columns change, explicitly set it to its current value", MySQL 8.0 Reference
 * Manual, "Automatic Initialization and Updating for TIMESTAMP and DATETIME",
 * https://dev.mysql.com/doc/refman/8.0/en/timestamp-initialization.html; MariaDB 10.11
 * behaves the same, checked by test/integration/db/schema-variants.test.ts). So a write
 * of MultiNIC never becomes a new row version, whatever the schema says. On a table
 * without such a column the statement is the plain UPDATE, so the agent's column grant
 * (UPDATE on netplan_success only) is enough there.
 *
 * The statement goes through Sequelize's query interface rather than `Model.update`,
 * because `Model.update` silently drops any column that is not a model attribute, and
 * an auto-updated column the OpenStack side added must be kept as well.
 *
 * The auto-updated columns are read from information_schema on first use (or
 * {@link prepare}) and again after `refreshMs` (default {@link AUTO_UPDATED_REFRESH_MS})
 * or after any failed update, so an ALTER TABLE that adds `ON UPDATE` to a running system
 * is honoured within that time. `now` is in ms.
 */
export class OpenStackRowUpdater {
  private readonly cache = new Map<string, { columns: string[]; readAt: number }>();

  constructor(
    private readonly db: Sequelize,
    private readonly now: () => number = Date.now,
    private readonly refreshMs = AUTO_UPDATED_REFRESH_MS,
  ) {}

  /**
   * Runs `UPDATE <model's table> SET <values>, <each auto-updated column> = itself WHERE
   * <where>` (conditions typed by the model's attributes) and returns the affected rows:
   * with MySQL's default client flags, rows actually changed. Throws
   * {@link PermanentError} when the database user may not assign an auto-updated column
   * (the grant it needs is named), and the driver's error on any other failure.
   */
  async update<M extends Model>(model: ModelStatic<M>, values: Record<string, unknown>, where: WhereOptions): Promise<number> {
    const table = model.getTableName() as string;
    const keep = await this.keptColumns(table);
    const set: Record<string, unknown> = { ...values };
    for (const column of keep) set[column] = this.db.col(column);
    try {
      // As Model.update calls it: `model` and the attributes type the WHERE values (DATE(3)
      // keeps milliseconds). The typings know neither argument in this shape.
      const options = { model } as QueryOptions;
      const attributes = model.getAttributes() as unknown as string[];
      const affected: unknown = await this.db.getQueryInterface().bulkUpdate(table, set, where, options, attributes);
      return Number(affected);
    } catch (err) {
      this.cache.delete(table);
      throw this.explain(err, table, Object.keys(values), keep);
    }
  }

  /**
   * Reads `table`'s auto-updated columns now unless they were read less than `refreshMs`
   * ago. The store calls it from its reads, which always come before its writes, so that
   * a write stays one statement.
   */
  async prepare(table: string): Promise<void> {
    await this.keptColumns(table);
  }

  private async keptColumns(table: string): Promise<string[]> {
    const hit = this.cache.get(table);
    if (hit && this.now() - hit.readAt < this.refreshMs) return hit.columns;
    const columns = await autoUpdatedColumns(this.db, table);
    this.cache.set(table, { columns, readAt: this.now() });
    return columns;
  }

  private explain(err: unknown, table: string, written: string[], keep: string[]): unknown {
    const code = (err as { original?: { code?: string } }).original?.code;
    if (code !== 'ER_COLUMNACCESS_DENIED_ERROR' || keep.length === 0) return err;
    return new PermanentError(
      `${table}.${keep.join(', ')} update(s) itself (ON UPDATE CURRENT_TIMESTAMP); to keep it unchanged MultiNIC assigns it its own value, ` +
        `which needs GRANT UPDATE (${[...written, ...keep].join(', ')}) ON ${table} for this database user ` +
        `(deploy/sql/users.sql grants exactly that when run after the schema exists)`,
      { cause: err },
    );
  }
}
