import { expect } from 'chai';
import { QueryTypes, type Sequelize } from 'sequelize';
import { chooseNodeName } from '../../../src/agent/node-name.js';
import { SequelizeInterfaceStore } from '../../../src/db/interface-store.js';
import { createSequelize, migrate, seed, SEED } from '../../../src/db/index.js';
import { isInvalid } from '../../../src/events/network.js';
import type { InterfaceEventData } from '../../../src/events/types.js';
import { AGENT_GRANTS, createTestDatabase, type TestDatabase } from '../../helpers/mariadb.js';

const NODE = SEED.nodes[0].attached_node_name;
const PORT: string = SEED.interfaces[1].port_id; // pending IPv4 row of node 1

describe('SequelizeInterfaceStore (real MariaDB, agent grants only)', () => {
  let t: TestDatabase;
  let agentDb: Sequelize;
  let store: SequelizeInterfaceStore;
  const rawRow = async (portId = PORT) =>
    (await t.sequelize.query<Record<string, unknown>>('SELECT * FROM multi_interface WHERE port_id = ?', { replacements: [portId], type: QueryTypes.SELECT }))[0]!;
  const dataOf = async (portId = PORT): Promise<InterfaceEventData> => {
    const row = await store.getPort(portId);
    if (!row || isInvalid(row.data)) throw new Error(`row ${portId} is not valid`);
    return row.data;
  };

  beforeEach(async () => {
    t = await createTestDatabase('mnagent');
    await migrate(t.sequelize, { info: () => undefined });
    await seed(t.sequelize, new Date('2025-03-01T10:00:00.123Z'));
    agentDb = createSequelize(await t.createUser(AGENT_GRANTS));
    store = new SequelizeInterfaceStore(agentDb, () => new Date('2025-03-01T10:00:05Z'));
  });
  afterEach(async () => {
    await agentDb?.close().catch(() => undefined);
    await t?.drop();
  });

  it('lists a known node in one answer, and an unknown node as known=false with no rows', async () => {
    const known = await store.listNodePorts(NODE);
    expect(known.known).to.equal(true);
    expect(known.rows.map((r) => r.portId)).to.deep.equal(SEED.interfaces.filter((i) => i.node === 0).map((i) => i.port_id));
    expect(known.rows[0]!.generation).to.equal(Date.parse('2025-03-01T10:00:00.123Z'));
    const unknown = await store.listNodePorts('worker-node-1.novalocal');
    // worker-node-1.novalocal is worker-node-1 under the identity rule, but node_table knows it as worker-node-1: its rows are that node's.
    expect(unknown).to.deep.equal({ nodeName: 'worker-node-1.novalocal', known: false, rows: [], nodeTable: ['worker-node-1', 'worker-node-2'], unaccounted: [] });
  });

  it('markConfigured sets only netplan_success and never moves modified_at', async () => {
    const before = await rawRow();
    expect(await store.markConfigured(await dataOf())).to.equal(true);
    const after = await rawRow();
    expect(after.netplan_success).to.equal(1);
    expect({ ...after, netplan_success: before.netplan_success }).to.deep.equal(before);
    expect(await store.markConfigured(await dataOf())).to.equal(true); // already set: still true
  });

  it('markConfigured answers false when the row changed meanwhile (address, version, subnet, node, deletion)', async () => {
    const applied = await dataOf();
    const edits = [
      "UPDATE multi_interface SET address = '192.168.100.99' WHERE port_id = ?",
      'UPDATE multi_interface SET modified_at = modified_at + INTERVAL 1 SECOND WHERE port_id = ?',
      "UPDATE multi_interface SET attached_node_name = 'worker-node-2' WHERE port_id = ?",
      'UPDATE multi_interface SET deleted_at = modified_at WHERE port_id = ?',
    ];
    for (const sql of edits) {
      const saved = await rawRow();
      await t.sequelize.query(sql, { replacements: [PORT] });
      expect(await store.markConfigured(applied), sql).to.equal(false);
      expect((await rawRow()).netplan_success, sql).to.equal(0);
      await t.sequelize.query('UPDATE multi_interface SET address = ?, modified_at = ?, attached_node_name = ?, deleted_at = NULL WHERE port_id = ?', {
        replacements: [saved.address, saved.modified_at, saved.attached_node_name, PORT],
      });
    }
    await t.sequelize.query("UPDATE multi_subnet SET cidr = '192.168.0.0/16' WHERE subnet_id = ?", { replacements: [SEED.subnets[1].subnet_id] });
    expect(await store.markConfigured(applied)).to.equal(false);
  });

  it('markConfigured and markRemoved are one statement each when the row is as applied, milliseconds included', async () => {
    const applied = await dataOf();
    expect(applied.generation % 1000).to.equal(123); // the seeded version has milliseconds
    const statements: string[] = [];
    agentDb.addHook('beforeQuery', (options) => void statements.push(String((options as { type?: string }).type)));
    expect(await store.markConfigured(applied)).to.equal(true);
    expect(statements).to.have.length(1);
    expect(statements[0]).to.match(/UPDATE/);
    expect((await rawRow()).netplan_success).to.equal(1);

    await t.sequelize.query('UPDATE multi_interface SET deleted_at = modified_at WHERE port_id = ?', { replacements: [PORT] });
    statements.length = 0;
    expect(await store.markRemoved(applied)).to.equal(true);
    expect(statements).to.have.length(1);
    expect((await rawRow()).netplan_success).to.equal(0);
  });

  it('markConfigured matches the version on created_at when modified_at is null, and a MAC stored in upper case', async () => {
    await t.sequelize.query('UPDATE multi_interface SET modified_at = NULL, created_at = ? WHERE port_id = ?', { replacements: [new Date(0), PORT] });
    // Raw replacements drop milliseconds, so the version is set through the server's own literal.
    await t.sequelize.query("UPDATE multi_interface SET created_at = '2025-03-01 10:00:07.456', macaddress = UPPER(macaddress) WHERE port_id = ?", { replacements: [PORT] });
    const applied = await dataOf();
    expect(applied.generation).to.equal(Date.parse('2025-03-01T10:00:07.456Z'));
    expect(await store.markConfigured(applied)).to.equal(true);
    expect((await rawRow()).netplan_success).to.equal(1);
    expect(await store.markConfigured({ ...applied, generation: applied.generation + 1 })).to.equal(false);
  });

  it('markRemoved: false on a live row, true on the deleted row of that generation, modified_at kept', async () => {
    const applied = await dataOf(SEED.interfaces[0].port_id); // configured mgmt row
    expect(await store.markRemoved(applied)).to.equal(false);
    await t.sequelize.query('UPDATE multi_interface SET deleted_at = modified_at WHERE port_id = ?', { replacements: [applied.portId] });
    const before = await rawRow(applied.portId);
    expect(await store.markRemoved(applied)).to.equal(true);
    const after = await rawRow(applied.portId);
    expect(after.netplan_success).to.equal(0);
    expect(after.modified_at).to.deep.equal(before.modified_at);
  });

  it('recordOutcome upserts into multinic_port_state; a failure shows on the node listing until replaced', async () => {
    const data = await dataOf();
    const base = { portId: PORT, nodeName: NODE, generation: data.generation, contentDigest: 'a'.repeat(32), interfaceName: null, eventId: 'e1' };
    await store.recordOutcome({ ...base, outcome: 'failed', lastError: 'HostError: NIC never appeared' });
    const failed = (await store.listNodePorts(NODE)).rows.find((r) => r.portId === PORT)!;
    expect(failed.lastFailure).to.deep.equal({ generation: data.generation, error: 'HostError: NIC never appeared' });
    await store.recordOutcome({ ...base, outcome: 'configured', interfaceName: 'multinic0', lastError: null });
    expect((await store.listNodePorts(NODE)).rows.find((r) => r.portId === PORT)!.lastFailure).to.equal(null);
    const [state] = await t.sequelize.query<Record<string, unknown>>('SELECT * FROM multinic_port_state', { type: QueryTypes.SELECT });
    expect(state).to.include({ port_id: PORT, outcome: 'configured', interface_name: 'multinic0', event_id: 'e1' });
  });

  describe('batch access', () => {
    const pendingOfNode = () => SEED.interfaces.filter((i) => i.node === 0 && !i.netplan_success).map((i) => i.port_id);
    const statementsOf = async (work: () => Promise<unknown>): Promise<string[]> => {
      const statements: string[] = [];
      const hook = (options: unknown) => void statements.push(String((options as { type?: string }).type));
      agentDb.addHook('beforeQuery', 'count', hook);
      try {
        await work();
      } finally {
        agentDb.removeHook('beforeQuery', 'count');
      }
      return statements;
    };

    it('getPorts reads the rows of a batch in one query, by port id; an unknown port is absent', async () => {
      await store.getPort(PORT); // the once-a-minute read of the kept columns happens here
      const ids = [...pendingOfNode(), 'no-such-port'];
      let rows!: Awaited<ReturnType<typeof store.getPorts>>;
      const statements = await statementsOf(async () => (rows = await store.getPorts(ids)));
      expect(statements).to.deep.equal(['SELECT']);
      expect([...rows.keys()].sort()).to.deep.equal(pendingOfNode().sort());
      expect(rows.get(PORT)).to.deep.include({ portId: PORT, nodeName: NODE, deleted: false, netplanSuccess: false });
    });

    it('markConfiguredMany writes every row as applied in one statement, modified_at kept', async () => {
      const ids = pendingOfNode();
      expect(ids.length).to.be.greaterThan(1);
      const applied = await Promise.all(ids.map((id) => dataOf(id)));
      const before = await Promise.all(ids.map((id) => rawRow(id)));
      let result: boolean[] = [];
      const statements = await statementsOf(async () => (result = await store.markConfiguredMany(applied)));
      expect(statements).to.have.length(1);
      expect(statements[0]).to.match(/UPDATE/);
      expect(result).to.deep.equal(ids.map(() => true));
      for (const [n, id] of ids.entries()) expect(await rawRow(id)).to.deep.equal({ ...before[n], netplan_success: 1 });
    });

    it('markConfiguredMany falls back to each row when one changed meanwhile: that one false, the others true', async () => {
      const ids = pendingOfNode();
      const applied = await Promise.all(ids.map((id) => dataOf(id)));
      await t.sequelize.query("UPDATE multi_interface SET address = '192.168.100.99' WHERE port_id = ?", { replacements: [ids[0]] });
      expect(await store.markConfiguredMany(applied)).to.deep.equal(ids.map((_, n) => n !== 0));
      expect((await rawRow(ids[0])).netplan_success).to.equal(0);
      for (const id of ids.slice(1)) expect((await rawRow(id)).netplan_success).to.equal(1);
    });

    it('recordOutcomes upserts a batch in one statement; a port listed twice keeps its last record', async () => {
      const data = await dataOf();
      const base = { nodeName: NODE, generation: data.generation, contentDigest: 'a'.repeat(32), interfaceName: 'multinic0', lastError: null };
      await store.recordOutcome({ ...base, portId: PORT, outcome: 'failed', lastError: 'old failure', eventId: 'e0' });
      const other = SEED.interfaces[2].port_id;
      const statements = await statementsOf(() =>
        store.recordOutcomes([
          { ...base, portId: PORT, outcome: 'failed', lastError: 'first', eventId: 'e1' },
          { ...base, portId: other, outcome: 'configured', eventId: 'e2' },
          { ...base, portId: PORT, outcome: 'configured', eventId: 'e3' },
        ]),
      );
      expect(statements).to.have.length(1);
      const states = await t.sequelize.query<Record<string, unknown>>('SELECT port_id, outcome, event_id, last_error FROM multinic_port_state ORDER BY event_id', { type: QueryTypes.SELECT });
      expect(states).to.deep.equal([
        { port_id: other, outcome: 'configured', event_id: 'e2', last_error: null },
        { port_id: PORT, outcome: 'configured', event_id: 'e3', last_error: null },
      ]);
    });

    it("recordOutcomes: a removal in a batch never overwrites another node's 'configured' record (a move's old node finishing late)", async () => {
      const data = await dataOf();
      const base = { generation: data.generation, contentDigest: 'a'.repeat(32), interfaceName: 'multinic0', lastError: null };
      await store.recordOutcome({ ...base, portId: PORT, nodeName: 'worker-node-2', outcome: 'configured', eventId: 'e-new-node' });
      await store.recordOutcomes([{ ...base, portId: PORT, nodeName: NODE, outcome: 'removed', eventId: 'e-old-node' }]);
      const states = await t.sequelize.query<Record<string, unknown>>('SELECT node_name, outcome, event_id FROM multinic_port_state WHERE port_id = ?', { replacements: [PORT], type: QueryTypes.SELECT });
      expect(states).to.deep.equal([{ node_name: 'worker-node-2', outcome: 'configured', event_id: 'e-new-node' }]);
    });
  });

  it('listNodeNames + the identity rule match exactly or by first DNS label, never by a mere prefix or wildcard', async () => {
    await t.sequelize.query("INSERT INTO node_table (attached_node_id, attached_node_name) VALUES ('x1', 'worker-1.novalocal'), ('x2', 'worker-10.novalocal'), ('x3', 'workerX1.novalocal')");
    const names = await store.listNodeNames();
    expect(chooseNodeName('worker-1', names)).to.include({ dbName: 'worker-1.novalocal', known: true });
    // `_` is a LIKE wildcard; the rule reads it as Nova does (a display name's `_` becomes `-`), never as "any character".
    expect(chooseNodeName('worker%1', names)).to.include({ known: false });
    expect(chooseNodeName('workerx1', names)).to.include({ known: true, dbName: 'workerX1.novalocal' });
    expect(chooseNodeName('worker-node-1.cluster.local', names)).to.include({ dbName: 'worker-node-1', known: true });
  });

  it('listNodePorts lists the rows of every spelling of this node (FQDN, case, trailing dot), not another node\'s FQDN', async () => {
    await t.sequelize.query(`UPDATE multi_interface SET attached_node_name = 'WORKER-NODE-1.novalocal.' WHERE port_id = ?`, { replacements: [PORT] });
    const listed = await store.listNodePorts(NODE);
    expect(listed.rows.map((r) => r.portId)).to.include(PORT);
    expect(listed.unaccounted).to.deep.equal([]);
    await t.sequelize.query("INSERT INTO node_table (attached_node_id, attached_node_name) VALUES ('y1', 'worker-node-1.a'), ('y2', 'worker-node-1.b')");
    await t.sequelize.query(`UPDATE multi_interface SET attached_node_name = 'worker-node-1.c' WHERE port_id = ?`, { replacements: [PORT] });
    const other = await store.listNodePorts('worker-node-1.a');
    expect(other.rows.map((r) => r.portId)).to.not.include(PORT);
  });

  it('throws on a broken query instead of answering "no rows"', async () => {
    await agentDb.close();
    let thrown: unknown;
    await store.listNodePorts(NODE).catch((e: unknown) => (thrown = e));
    expect(thrown).to.be.instanceOf(Error);
  });
});
