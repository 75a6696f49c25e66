import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { migrate, seed, SEED } from '../../../src/db/index.js';
import { createSqlSources, SUBNET_FINGERPRINT_SQL } from '../../../src/db/sql-sources.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

const DATA = SEED.subnets[1];

/** The publisher's subnet watch and move lookup against the real schema (real MariaDB). */
describe('publisher subnet watch (real MariaDB)', function () {
  this.timeout(30_000);
  let t: TestDatabase;
  const q = (sql: string, replacements: unknown[] = []) => t.sequelize.query(sql, { replacements });

  before(async () => {
    t = await createTestDatabase('mnwatch');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
  });
  after(async () => {
    await t?.drop();
  });

  it('reads the fingerprint from the covering index, not the table', async () => {
    const plan = await t.sequelize.query<{ key: string; Extra: string }>(`EXPLAIN ${SUBNET_FINGERPRINT_SQL}`, { type: QueryTypes.SELECT });
    expect(plan.map((p) => [p.key, p.Extra])).to.deep.equal([['ix_multi_subnet_watch', 'Using index']]);
  });

  it('changes with a CIDR edit, a network change and a soft deletion, not with a name or a modified_at that moves back', async () => {
    const { subnets } = createSqlSources(t.sequelize);
    const seen = [await subnets.fingerprint()];
    await q('UPDATE multi_subnet SET subnet_name = ?, modified_at = modified_at - INTERVAL 9 HOUR WHERE subnet_id = ?', ['renamed', DATA.subnet_id]);
    expect(await subnets.fingerprint(), 'a name or a version alone').to.equal(seen[0]);
    for (const edit of ["cidr = '192.168.100.0/23'", "network_id = 'net-new'", 'deleted_at = NOW(3)']) {
      await q(`UPDATE multi_subnet SET ${edit} WHERE subnet_id = ?`, [DATA.subnet_id]);
      const f = await subnets.fingerprint();
      expect(seen, edit).to.not.include(f);
      seen.push(f);
    }
    expect((await subnets.snapshot()).get(DATA.subnet_id)).to.equal(JSON.stringify(['192.168.100.0/23', 'net-new', 1]));
  });

  it('finds the configured rows of a subnet and where an agent has them; moves by multinic_port_state', async () => {
    const { subnets, outcomes } = createSqlSources(t.sequelize);
    const port = SEED.interfaces.find((i) => i.subnet === 1 && i.node === 0)!;
    await q(`INSERT INTO multinic_port_state (port_id, node_name, generation, content_digest, outcome, updated_at) VALUES (?, 'worker-node-1', 1, ?, 'configured', NOW(3))`, [port.port_id, 'd'.repeat(32)]);
    const rows = await subnets.configuredRows([DATA.subnet_id]);
    expect(rows.map((r) => [r.row.port_id, r.placement])).to.deep.equal([[port.port_id, { portId: port.port_id, node: 'worker-node-1', contentDigest: 'd'.repeat(32) }]]);
    expect(rows[0]!.row.subnet_deleted_at).to.be.instanceOf(Date);
    expect(await subnets.configuredRows([])).to.deep.equal([]);
    expect((await subnets.configuredRows(null)).map((r) => r.row.port_id)).to.deep.equal([port.port_id]);
    expect(await outcomes.configuredAmong([port.port_id, 'no-such-port'])).to.deep.equal([{ portId: port.port_id, node: 'worker-node-1', contentDigest: 'd'.repeat(32) }]);
  });
});
