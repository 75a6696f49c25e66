import amqplib from 'amqplib';
import { QueryTypes } from 'sequelize';
import { DeadLetterHeader } from '../../src/runtime/dead-letter.js';
import type { TestDatabase } from '../helpers/mariadb.js';
import { readAudit, type FleetNode, type Port } from './fleet.js';

/** How many of these ports' rows have netplan_success = 1. */
export async function configuredCount(t: TestDatabase, ports: Port[]): Promise<number> {
  const rows = await t.sequelize.query<{ port_id: string; s: number }>('SELECT port_id, netplan_success AS s FROM multi_interface WHERE port_id IN (?)', { replacements: [ports.map((p) => p.portId)], type: QueryTypes.SELECT });
  return rows.filter((r) => Number(r.s) === 1).length;
}

/** Takes every message out of multinic.dead: its id and reason (ours, or RabbitMQ's x-death). */
export async function drainDeadLetters(amqpUrl: string): Promise<Array<{ id: string; reason: string }>> {
  const conn = await amqplib.connect(amqpUrl);
  try {
    const ch = await conn.createChannel();
    const out: Array<{ id: string; reason: string }> = [];
    for (let m = await ch.get('multinic.dead', { noAck: true }); m; m = await ch.get('multinic.dead', { noAck: true })) {
      const headers = m.properties.headers ?? {};
      out.push({ id: String(m.properties.messageId), reason: String(headers[DeadLetterHeader.Error] ?? (headers['x-death'] ? 'x-death (delivery limit)' : '')) });
    }
    return out;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/**
 * Applies beyond the first of each (port, generation) of these ports, from the nodes'
 * apply audits (failed applies do not count). Those of `crashed` are counted apart: a
 * SIGKILL between apply and ack may legitimately cost one more apply there.
 */
export async function duplicateApplies(nodes: FleetNode[], ports: Port[], crashed?: FleetNode): Promise<{ dup: number; afterCrash: number }> {
  let dup = 0;
  let afterCrash = 0;
  const mine = new Set(ports.map((p) => p.portId));
  for (const node of nodes) {
    const counts = new Map<string, number>();
    for (const l of await readAudit(node)) if (l.port && !l.failed && mine.has(l.port)) counts.set(`${l.port}@${l.generation}`, (counts.get(`${l.port}@${l.generation}`) ?? 0) + 1);
    const extra = [...counts.values()].reduce((s, c) => s + c - 1, 0);
    if (node === crashed) afterCrash += extra;
    else dup += extra;
  }
  return { dup, afterCrash };
}
