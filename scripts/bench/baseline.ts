import mysql from 'mysql2/promise';
import type { Config } from '../../src/config/index.js';
import { interfaceRowsSql } from '../../src/db/interface-row.js';
import { nodeName } from './fixture.js';

/**
 * The design MultiNIC replaces: every node's agent queries the database for its own
 * pending rows every T seconds (the earlier Go agent: T = 30). Each simulated poller runs
 * that query for its node on its own schedule (a random phase, as agents start at random
 * times), over its own connection as the poller user — up to MAX_CONNECTIONS connections,
 * beyond that pollers share them round-robin (the server counts the same statements; the
 * shared MariaDB allows 151 connections for everyone).
 */
export const MAX_CONNECTIONS = 50;

/** The old agent's query: this node's rows that are live and not configured, with their subnet. */
export const OLD_AGENT_SQL = interfaceRowsSql({ where: 'i.attached_node_name = ? AND i.netplan_success = 0 AND i.deleted_at IS NULL' });

export interface Pollers {
  /** First time (ms) any poller saw each port pending. */
  seen: Map<string, number>;
  queries(): number;
  stop(): Promise<void>;
}

export async function startPollers(opts: { db: Config['db']; nodes: number; periodMs: number; random?: () => number }): Promise<Pollers> {
  const random = opts.random ?? Math.random;
  const conns = await Promise.all(
    Array.from({ length: Math.min(MAX_CONNECTIONS, opts.nodes) }, () =>
      mysql.createConnection({ host: opts.db.host, port: opts.db.port, user: opts.db.user, password: opts.db.password, database: opts.db.name }),
    ),
  );
  const seen = new Map<string, number>();
  let stopped = false;
  let queries = 0;
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<unknown>>();
  for (let n = 0; n < opts.nodes; n++) {
    const conn = conns[n % conns.length]!;
    const name = nodeName(n);
    const poll = () => {
      if (stopped) return;
      const p = conn
        .query<mysql.RowDataPacket[]>(OLD_AGENT_SQL, [name])
        .then(([rows]) => {
          queries++;
          const at = Date.now();
          for (const r of rows) if (!seen.has(String(r.port_id))) seen.set(String(r.port_id), at);
        })
        .catch(() => undefined)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    const first = setTimeout(() => {
      poll();
      timers.push(setInterval(poll, opts.periodMs));
    }, Math.floor(random() * opts.periodMs));
    timers.push(first);
  }
  return {
    seen,
    queries: () => queries,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all([...inFlight]);
      await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
    },
  };
}
