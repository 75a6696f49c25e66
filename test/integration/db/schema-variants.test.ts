import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize, migrate } from '../../../src/db/index.js';
import { interfaceDataFromRow, type InterfaceRowWithSubnet } from '../../../src/db/interface-row.js';
import { SequelizeInterfaceStore } from '../../../src/db/interface-store.js';
import { autoUpdatedColumns } from '../../../src/db/openstack-update.js';
import { isInvalid } from '../../../src/events/network.js';
import type { InterfaceEventData } from '../../../src/events/types.js';
import { createSqlSources } from '../../../src/db/sql-sources.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { generationAt, literalAt, ODD_NODE, SUBNET_NAME, TABLE_KEYS, VARIANTS, VersionMover, variantTables, type OpenStackTable } from './schema-variants.js';

const T0 = '2026-11-30T08:00:00.456789Z'; // created
const T1 = '2026-11-30T08:04:34.123789Z'; // modified: the 08:04:34 of issue 12
const T2 = '2026-11-30T08:05:04.500250Z'; // the writer's edit
const T3 = '2026-11-30T08:06:10.999999Z'; // the writer's deletion
const PORT = 'port-1';
const ODD_PORT = 'port-2';
const quiet = { info: () => undefined };

/** The attach → change → detach result per variant, printed after the suite (the closing table). */
const results: Array<Record<'variant' | 'migrate' | 'attach' | 'change' | 'detach', string>> = [];

describe('OpenStack schema variants: migrate, then attach → change → detach through the real store (real MariaDB)', function () {
  after(() => {
    const cols = ['variant', 'migrate', 'attach', 'change', 'detach'] as const;
    const width = (c: (typeof cols)[number]) => Math.max(c.length, ...results.map((r) => r[c].length));
    const line = (r: Record<(typeof cols)[number], string>) => cols.map((c) => r[c].padEnd(width(c))).join(' | ');
    console.log(`\n${line({ variant: 'variant', migrate: 'migrate', attach: 'attach', change: 'change', detach: 'detach' })}\n${results.map(line).join('\n')}\n`);
  });

  for (const v of VARIANTS) {
    describe(v.name, function () {
      let t: TestDatabase;
      let writer: mysql.Connection;
      let agentDb: Sequelize;
      let publisherDb: Sequelize;
      const agentLog = createRingLogger('agent-sql');
      const result = { variant: v.name, migrate: 'not run', attach: 'not run', change: 'not run', detach: 'not run' };

      /** The row's time columns as the server prints them (session UTC), and its flag. */
      const stamps = async (port: string) =>
        (await t.sequelize.query<Record<string, string | number | null>>(
          'SELECT CAST(created_at AS CHAR) AS created_at, CAST(modified_at AS CHAR) AS modified_at, CAST(deleted_at AS CHAR) AS deleted_at, netplan_success AS flag FROM multi_interface WHERE port_id = ?',
          { replacements: [port], type: QueryTypes.SELECT },
        ))[0]!;
      const at = (iso: string) => literalAt(iso, v.fsp, v.writerTimeZone);

      before(async function () {
        results.push(result);
        t = await createTestDatabase('mnvar');
        const ddl = await mysql.createConnection({ host: t.db.host, port: t.db.port, user: t.db.user, password: t.db.password, database: t.name });
        try {
          for (const s of v.createSession) await ddl.query(s);
          for (const s of variantTables(v)) await ddl.query(s);
        } finally {
          await ddl.end();
        }
        writer = await mysql.createConnection({ host: t.db.host, port: t.db.port, user: t.db.user, password: t.db.password, database: t.name, charset: 'utf8mb4' });
        await writer.query('SET time_zone = ?', [v.writerTimeZone]);
        const modified = v.modifiedNull ? null : at(T1);
        await writer.query("INSERT INTO multi_subnet VALUES ('subnet-v4', ?, '10.30.0.0/24', 'net-v4', 'ACTIVE', ?, ?, NULL)", [SUBNET_NAME, at(T0), modified]);
        await writer.query("INSERT INTO node_table VALUES ('node-1', 'worker-1', 'ACTIVE', ?, ?, NULL), ('node-2', ?, 'ACTIVE', ?, ?, NULL)", [at(T0), modified, ODD_NODE, at(T0), modified]);
        const extra = v.addressMtu ? ', address, mtu' : '';
        for (const [port, node, mac] of [[PORT, 'worker-1', 'fa:16:3e:00:12:01'], [ODD_PORT, ODD_NODE, 'fa:16:3e:00:12:02']] as const) {
          await writer.query(
            `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_id, attached_node_name, cr_namespace, cr_name, netplan_success, status, created_at, modified_at${extra})
             VALUES (?, 'subnet-v4', ?, ?, ?, 'multinic-system', 'multinic-worker-1', 0, 'ACTIVE', ?, ?${v.addressMtu ? ", '10.30.0.11', 1500" : ''})`,
            [port, mac, `id-${node}`, node, at(T0), modified],
          );
        }
        await writer.query("INSERT INTO cr_state (cr_namespace, cr_name, spec_hash, last_updated) VALUES ('multinic-system', 'multinic-worker-1', 'abc', '2026-11-30 08:04:34')");
      });
      after(async function () {
        await writer?.end().catch(() => undefined);
        await agentDb?.close().catch(() => undefined);
        await publisherDb?.close().catch(() => undefined);
        await t?.drop();
      });

      it('declares the auto-updated columns it should, and migrates without rewriting a row', async function () {
        expect(await autoUpdatedColumns(t.sequelize, 'multi_interface')).to.deep.equal(v.autoUpdated);
        const before = await snapshot(t.sequelize);
        const applied = await migrate(t.sequelize, quiet);
        expect(applied).to.have.length(4);
        expect(await snapshot(t.sequelize, before.columns)).to.deep.equal(before);
        expect(await autoUpdatedColumns(t.sequelize, 'multi_interface'), 'the migration kept the schema’s own ON UPDATE').to.deep.equal(v.autoUpdated);
        result.migrate = 'rows unchanged';
      });

      it('attach → change → detach: the store writes only netplan_success and never moves modified_at', async function () {
        const users = await t.createUsersFromSql();
        agentDb = createSequelize(users.agent, agentLog.log);
        publisherDb = createSequelize(users.publisher);
        const store = new SequelizeInterfaceStore(agentDb);
        const pending = createSqlSources(publisherDb).rows;
        const pendingRow = async (): Promise<InterfaceRowWithSubnet | undefined> => (await pending.pendingAfter(0, 100)).find((r) => r.port_id === PORT);
        const dataOf = (row: InterfaceRowWithSubnet | undefined): InterfaceEventData => {
          expect(row, 'the publisher reads the row as pending').to.not.equal(undefined);
          const data = interfaceDataFromRow(row!);
          if (isInvalid(data)) throw new Error(`row is malformed: ${data.error}`);
          return data;
        };
        /** Runs one MultiNIC write, checks it changed netplan_success and nothing else, and names the version it kept. */
        const write = async (what: string, fn: () => Promise<boolean>, flag: 0 | 1) => {
          const before = await stamps(PORT);
          const others = await rowDigest(t.sequelize, 'multi_interface', ['netplan_success']);
          const from = agentLog.records().length;
          expect(await fn(), what).to.equal(true);
          expect(await stamps(PORT), `${what}: time columns byte for byte`).to.deep.equal({ ...before, flag });
          expect(await rowDigest(t.sequelize, 'multi_interface', ['netplan_success']), `${what}: every other column`).to.equal(others);
          const update = agentLog.records().slice(from).map((r) => String(r.sql)).find((sql) => /\bUPDATE `multi_interface`/.test(sql));
          expect(update?.replace(/^.*? SET (.*?) WHERE .*$/s, '$1').split(','), `${what}: the SET list Sequelize generated`).to.deep.equal(['`netplan_success`=?', ...v.autoUpdated.map((c) => `\`${c}\`=\`${c}\``)]);
          const version = v.modifiedNull ? 'created_at' : 'modified_at';
          return `${version} ${before[version]}`;
        };

        // The non-ASCII node name is refused as a malformed row; the subnet name passes as written.
        const odd = (await pending.pendingAfter(0, 100)).find((r) => r.port_id === ODD_PORT)!;
        expect(odd.attached_node_name).to.equal(ODD_NODE);
        expect(interfaceDataFromRow(odd)).to.have.property('error').that.matches(/attached_node_name/);

        const attach = dataOf(await pendingRow());
        expect(attach.subnetName).to.equal(SUBNET_NAME);
        expect(attach.generation).to.equal(generationAt(v.modifiedNull ? T0 : T1, v.fsp));
        const m1 = await write('markConfigured (attach)', () => store.markConfigured(attach), 1);
        expect(await pendingRow(), 'configured: no longer pending').to.equal(undefined);
        result.attach = `ok, ${m1} kept`;

        const moved = v.mover === VersionMover.Writer ? ', modified_at = ?' : '';
        await writer.query(`UPDATE multi_interface SET address = '10.30.0.12', netplan_success = 0${moved} WHERE port_id = ?`, moved ? [at(T2), PORT] : [PORT]);
        const change = dataOf(await pendingRow());
        expect(change.address).to.equal('10.30.0.12');
        if (v.mover === VersionMover.Writer) expect(change.generation).to.equal(generationAt(T2, v.fsp));
        else if (v.mover === VersionMover.Server) expect(change.generation).to.be.greaterThan(attach.generation);
        else expect(change.generation).to.equal(attach.generation);
        expect(await store.markConfigured(attach), 'the superseded attach').to.equal(false);
        expect((await stamps(PORT)).flag).to.equal(0);
        const m2 = await write('markConfigured (change)', () => store.markConfigured(change), 1);
        result.change = `old refused; ok, ${m2} kept`;

        await writer.query(`UPDATE multi_interface SET deleted_at = ?${moved} WHERE port_id = ?`, moved ? [at(T3), at(T3), PORT] : [at(T3), PORT]);
        const detach = dataOf(await pendingRow());
        const m3 = await write('markRemoved (detach)', () => store.markRemoved(detach), 0);
        expect(await pendingRow(), 'removed: no longer pending').to.equal(undefined);
        result.detach = `ok, ${m3} kept`;
      });

      if (v.autoUpdated.length > 0) {
        it('would have moved the version with the plain UPDATE MultiNIC used to send (the control)', async function () {
          const before = await stamps(ODD_PORT);
          await t.sequelize.query('UPDATE multi_interface SET netplan_success = 1 WHERE port_id = ?', { replacements: [ODD_PORT] });
          const after = await stamps(ODD_PORT);
          for (const c of v.autoUpdated) expect(after[c], c).to.not.equal(before[c]);
        });
      }
    });
  }
});

/** A digest of every row of `table` over its columns (all but `except`), in key order; session UTC. */
async function rowDigest(db: Sequelize, table: OpenStackTable, except: string[] = [], only?: string[]): Promise<string> {
  const columns = only ?? (await columnsOf(db, table)).filter((c) => !except.includes(c));
  const row = columns.map((c) => `QUOTE(\`${c}\`)`).join(', ');
  const [r] = await db.query<{ d: string }>(`SELECT SHA2(GROUP_CONCAT(CONCAT_WS(0x1f, ${row}) ORDER BY ${TABLE_KEYS[table]} SEPARATOR 0x1e), 256) AS d FROM ${table}`, { type: QueryTypes.SELECT });
  return r!.d;
}

async function columnsOf(db: Sequelize, table: string): Promise<string[]> {
  const rows = await db.query<{ c: string }>('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', { replacements: [table], type: QueryTypes.SELECT });
  return rows.map((r) => r.c);
}

/** CHECKSUM TABLE and a digest over the columns each table had before (`columns`), for all four tables. */
async function snapshot(db: Sequelize, columns?: Record<OpenStackTable, string[]>) {
  const out = { columns: {} as Record<OpenStackTable, string[]>, checksums: {} as Record<string, unknown>, digests: {} as Record<string, string> };
  for (const table of Object.keys(TABLE_KEYS) as OpenStackTable[]) {
    out.columns[table] = columns?.[table] ?? (await columnsOf(db, table));
    out.digests[table] = await rowDigest(db, table, [], out.columns[table]);
    const [c] = await db.query<{ Checksum: unknown }>(`CHECKSUM TABLE ${table}`, { type: QueryTypes.SELECT });
    out.checksums[table] = c!.Checksum;
  }
  return out;
}
