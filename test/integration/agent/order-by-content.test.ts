import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { handleInterfaceEvent } from '../../../src/agent/handler.js';
import { migrate, seed, SEED } from '../../../src/db/index.js';
import { SequelizeInterfaceStore } from '../../../src/db/interface-store.js';
import { buildEvent } from '../../../src/events/build.js';
import { isInvalid } from '../../../src/events/network.js';
import { EventType, type InterfaceEvent } from '../../../src/events/types.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { FakeHost, FakePatcher } from '../../helpers/fakes.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

const NODE = SEED.nodes[0].attached_node_name;
const PORT: string = SEED.interfaces[1].port_id; // 192.168.100.11 on the data subnet, node 1

/**
 * The two writers on the real database: one at session time_zone '+09:00' edits
 * the address to .12, one at '+00:00' edits it to .13, both with modified_at = NOW(3), so
 * the row's version moves back about nine hours. With both events queued, the agent must
 * apply .13 once and drop .12, whatever the generations say.
 */
describe('order by content on the real database: a version that goes backwards (real MariaDB)', function () {
  this.timeout(30_000);
  let t: TestDatabase;

  before(async () => {
    t = await createTestDatabase('mnorder');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize);
  });
  after(async () => {
    await t?.drop();
  });

  it('+09:00 writes .12, +00:00 writes .13: .12 is stale, .13 applied once and written back', async () => {
    const store = new SequelizeInterfaceStore(t.sequelize);
    const write = async (zone: string, address: string): Promise<InterfaceEvent> => {
      // The writer's session time zone for this one statement (MariaDB's SET STATEMENT), as another service's session would have it.
      await t.sequelize.query(`SET STATEMENT time_zone = '${zone}' FOR UPDATE multi_interface SET address = ?, netplan_success = 0, modified_at = NOW(3) WHERE port_id = ?`, {
        replacements: [address, PORT],
      });
      const row = await store.getPort(PORT);
      if (!row || isInvalid(row.data)) throw new Error('the written row is not valid');
      return buildEvent(EventType.Attach, row.data, { source: '/multinic/publisher' });
    };
    const first = await write('+09:00', '192.168.100.12');
    const second = await write('+00:00', '192.168.100.13');
    const backwards = first.data.generation - second.data.generation;
    expect(backwards, 'the version moved back about nine hours').to.be.greaterThan(8 * 3_600_000);

    const host = new FakeHost();
    const ports = { store, host, nodes: new FakePatcher(), log: createRingLogger().log, node: { kubeName: NODE, dbName: NODE }, now: () => new Date() };
    const outcomes = [];
    for (const event of [first, second, first]) outcomes.push(await handleInterfaceEvent(event, ports));
    expect(outcomes.map((o) => o.result)).to.deep.equal(['stale', 'configured', 'stale']);
    expect(host.applies).to.equal(1);
    expect(host.configured.get(PORT)!.address).to.equal('192.168.100.13');
    const [row] = await t.sequelize.query<{ netplan_success: number }>('SELECT netplan_success FROM multi_interface WHERE port_id = ?', { replacements: [PORT], type: QueryTypes.SELECT });
    expect(row!.netplan_success).to.equal(1);
  });
});
