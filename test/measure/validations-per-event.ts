/**
 * Counts JSON Schema validations (calls of ajv-compiled validators) for one attach event
 * handled by the agent on a node with 8 ports: the body is parsed as the queue trigger
 * does, then the real handler runs against the real SequelizeInterfaceStore on a
 * throwaway MariaDB database (host and Node patcher are the unit tests' fakes).
 *
 *   npx tsx test/measure/validations-per-event.ts
 *
 * Prints one JSON line: { ports, firstEvent, nextEvent } (validations per event). Needs what `npm test` needs (MariaDB as
 * root over /run/mysqld/mysqld.sock).
 */
import { Ajv } from 'ajv';
import { QueryTypes } from 'sequelize';

let validations = 0;
const compile = Ajv.prototype.compile;
// Wrap every validator compiled from here on; the modules below compile theirs on import.
Ajv.prototype.compile = function (this: Ajv, ...args: Parameters<Ajv['compile']>) {
  const validate = compile.apply(this, args);
  return new Proxy(validate, {
    apply(target, thisArg, argv) {
      validations++;
      return Reflect.apply(target, thisArg, argv);
    },
  });
} as Ajv['compile'];

const PORTS = 8;
const { SEED, migrate, seed } = await import('../../src/db/index.js');
const { SequelizeInterfaceStore } = await import('../../src/db/interface-store.js');
const { handleInterfaceEvent } = await import('../../src/agent/handler.js');
const { parseEvent } = await import('../../src/events/validate.js');
const { buildEvent } = await import('../../src/events/build.js');
const { EventType } = await import('../../src/events/types.js');
const { isInvalid } = await import('../../src/events/network.js');
const { createTestDatabase } = await import('../helpers/mariadb.js');
const { FakeHost, FakePatcher } = await import('../helpers/fakes.js');
const { createRingLogger } = await import('../../src/log/logger.js');

const t = await createTestDatabase('mnmeasure');
try {
  await migrate(t.sequelize, { info: () => undefined });
  await seed(t.sequelize);
  const node = SEED.nodes[0];
  const subnet = SEED.subnets[1];
  await t.sequelize.query('DELETE FROM multi_interface WHERE attached_node_name = ?', { replacements: [node.attached_node_name], type: QueryTypes.DELETE });
  for (let i = 1; i <= PORTS; i++) {
    await t.sequelize.query(
      `INSERT INTO multi_interface (port_id, subnet_id, macaddress, attached_node_id, attached_node_name, netplan_success, status, address, created_at, modified_at)
       VALUES (?, ?, ?, ?, ?, 0, 'ACTIVE', ?, NOW(), NOW())`,
      { replacements: [`measure-port-${i}`, subnet.subnet_id, `fa:16:3e:77:00:${String(i).padStart(2, '0')}`, node.attached_node_id, node.attached_node_name, `192.168.100.${100 + i}`], type: QueryTypes.INSERT },
    );
  }
  const store = new SequelizeInterfaceStore(t.sequelize);
  const bodies: string[] = [];
  for (const portId of ['measure-port-1', 'measure-port-2']) {
    const row = await store.getPort(portId);
    if (!row || isInvalid(row.data)) throw new Error(`the measured row ${portId} is not valid`);
    bodies.push(JSON.stringify(buildEvent(EventType.Attach, row.data, { source: '/multinic/publisher' })));
  }
  const { log } = createRingLogger();
  const ports = {
    store,
    host: new FakeHost(),
    nodes: new FakePatcher(),
    log,
    node: { kubeName: node.attached_node_name, dbName: node.attached_node_name },
    now: () => new Date(),
  };
  // The first event of a fresh process sees every row for the first time; the second is
  // the steady state (the same rows, unchanged).
  const perEvent: number[] = [];
  for (const body of bodies) {
    validations = 0;
    const event = parseEvent(body, { maxBytes: 65536, nodeNames: [node.attached_node_name] });
    const outcome = await handleInterfaceEvent(event, ports);
    if (outcome.result !== 'configured') throw new Error(`expected configured, got ${outcome.result}`);
    perEvent.push(validations);
  }
  console.log(JSON.stringify({ ports: PORTS, firstEvent: perEvent[0], nextEvent: perEvent[1] }));
} finally {
  await t.drop();
}
