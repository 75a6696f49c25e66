import type { Leadership, ReleasableLeadership } from '../model/publisher-ports.js';
import type { Log } from '../log/logger.js';

export interface BrokerGateOptions {
  /** True while the publishing channel is open. */
  brokerConnected: () => boolean;
  /** How long the active replica may be without the broker before it gives the lock up (PUBLISHER_BROKER_GRACE). */
  graceMs: number;
  now: () => number;
  log: Pick<Log, 'info' | 'warn'>;
}

/** Leadership that also tells why this replica is not active, for /readyz. */
export interface GatedLeadership extends Leadership {
  /** `active`, `standby` (another replica holds the lock) or `no-broker` (waiting for RabbitMQ before taking the lock). */
  role(): 'active' | 'standby' | 'no-broker';
}

/**
 * Leadership that only a replica able to publish keeps: the active replica that has not
 * reached RabbitMQ for `graceMs` releases the lock, so a standby with a working broker takes
 * over within a poll; a replica without the broker never takes the lock. Pure apart from
 * the calls it makes: time and the broker's state are parameters.
 */
export function brokerGatedLeadership(lock: ReleasableLeadership, { brokerConnected, graceMs, now, log }: BrokerGateOptions): GatedLeadership {
  let awaySince: number | undefined;
  let role: 'active' | 'standby' | 'no-broker' = 'standby';
  return {
    async ensure() {
      const t = now();
      if (brokerConnected()) awaySince = undefined;
      else awaySince ??= t;
      if (lock.isLeader()) {
        if (awaySince !== undefined && t - awaySince >= graceMs) {
          log.warn({ graceMs }, `RabbitMQ unreachable for ${Math.round((t - awaySince) / 1000)} s (PUBLISHER_BROKER_GRACE): giving up the publisher lock so a replica that reaches it takes over`);
          await lock.release();
          role = 'no-broker';
          return false;
        }
      } else if (awaySince !== undefined) {
        role = 'no-broker';
        return false;
      }
      const active = await lock.ensure();
      role = active ? 'active' : 'standby';
      return active;
    },
    isLeader: () => lock.isLeader(),
    role: () => role,
  };
}
