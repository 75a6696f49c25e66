import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize, migrate, seed, SEED } from '../../../src/db/index.js';
import { initModels } from '../../../src/db/models.js';
import { OpenStackRowUpdater } from '../../../src/db/openstack-update.js';
import { PermanentError } from '../../../src/errors/errors.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

const SRC = new URL('../../../src/', import.meta.url).pathname;
const OPENSTACK_TABLES = '(multi_subnet|node_table|multi_interface|cr_state)';
/** Statements and model calls that change rows of the OpenStack side's tables. */
const WRITES = [
  new RegExp(`\\b(UPDATE|REPLACE\\s+INTO|DELETE\\s+FROM)\\s+\`?${OPENSTACK_TABLES}\\b`, 'i'),
  /\b(MultiSubnet|NodeRow|MultiInterface|CrState)\.(update|upsert|increment|decrement|destroy|truncate)\(/,
  /\bbulkUpdate\(/,
];
const PORT = SEED.interfaces[1].port_id;

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('OpenStackRowUpdater: the one way MultiNIC updates an OpenStack table (real MariaDB)', function () {
  let t: TestDatabase;
  const modifiedAt = async () =>
    (await t.sequelize.query<{ m: string }>('SELECT CAST(modified_at AS CHAR) AS m FROM multi_interface WHERE port_id = ?', { replacements: [PORT], type: QueryTypes.SELECT }))[0]!.m;

  beforeEach(async function () {
    t = await createTestDatabase('mnupd');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize, new Date('2026-11-30T08:04:34Z'));
  });
  afterEach(async function () {
    await t?.drop();
  });

  it('is the only place in src/ that updates, replaces or deletes rows of the four OpenStack tables', function () {
    const offenders = sourceFiles(SRC)
      .filter((f) => !f.endsWith('/db/openstack-update.ts'))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => ({ where: `${relative(SRC, f)}:${i + 1}`, line })))
      .filter(({ line }) => WRITES.some((re) => re.test(line)))
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    expect(offenders).to.deep.equal([]);
  });

  it('honours an ON UPDATE added while running once the refresh interval has passed', async function () {
    let now = 0;
    const updater = new OpenStackRowUpdater(t.sequelize, () => now, 60_000);
    const { MultiInterface } = initModels(t.sequelize);
    await updater.prepare('multi_interface');
    await t.sequelize.query('ALTER TABLE multi_interface MODIFY modified_at DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)');
    const before = await modifiedAt();
    now = 60_000;
    expect(await updater.update(MultiInterface, { netplan_success: 1 }, { port_id: PORT })).to.equal(1);
    expect(await modifiedAt()).to.equal(before);
    expect(await updater.update(MultiInterface, { netplan_success: 0 }, { port_id: PORT })).to.equal(1);
    expect(await modifiedAt()).to.equal(before);
  });

  it('names the missing grant when the user may not keep an auto-updated column, and changes nothing', async function () {
    await t.sequelize.query('ALTER TABLE multi_interface MODIFY modified_at DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)');
    // The agent's grant before this change: netplan_success only.
    const narrow: Sequelize = createSequelize(await t.createUser(['GRANT SELECT, UPDATE (netplan_success) ON {db}.multi_interface TO {user}']));
    try {
      const before = await modifiedAt();
      const err = await new OpenStackRowUpdater(narrow)
        .update(initModels(narrow).MultiInterface, { netplan_success: 1 }, { port_id: PORT })
        .then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(PermanentError);
      expect((err as Error).message).to.include('GRANT UPDATE (netplan_success, modified_at) ON multi_interface');
      expect(await modifiedAt()).to.equal(before);
      const [row] = await t.sequelize.query<{ f: number }>('SELECT netplan_success AS f FROM multi_interface WHERE port_id = ?', { replacements: [PORT], type: QueryTypes.SELECT });
      expect(row!.f).to.equal(0);
    } finally {
      await narrow.close();
    }
  });
});
