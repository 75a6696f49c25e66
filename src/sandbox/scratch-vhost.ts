import type { ManagementClient } from '../amqp/management.js';
import { applyNodeQueuePolicy } from '../amqp/policy.js';

/** A throwaway resource (the demo's, a test's, the bench's), with the way to remove it again. */
export interface Created {
  /** What a person would call it, e.g. `database multinic_demo_1a2b`. */
  what: string;
  remove(): Promise<void>;
}

/**
 * Creates a throwaway vhost named `vhost` and a user of the same name with `password` and
 * full rights on that vhost only; returns its amqp:// URL. `created` receives each piece
 * as soon as it exists, so an interruption half-way still cleans up. Deleting the vhost
 * removes its queues and exchanges; open connections are closed first so nothing lingers.
 * The node queue policy (delivery limit, dead-lettering) is set as an operator's
 * deployment would, so an agent alone gets it too. The demo and the tests' per-test vhosts
 * both use it.
 */
export async function createScratchVhost(
  management: ManagementClient,
  { vhost, password, amqpHost, created = () => undefined }: { vhost: string; password: string; amqpHost: string; created?: (c: Created) => void },
): Promise<{ vhost: string; user: string; url: string }> {
  await management.putVhost(vhost);
  created({
    what: `RabbitMQ vhost ${vhost}`,
    remove: async () => {
      for (const c of await management.listConnections(vhost).catch(() => [])) await management.closeConnection(c.name, 'throwaway vhost removed').catch(() => undefined);
      await management.deleteVhost(vhost);
    },
  });
  await management.putUser(vhost, password);
  created({ what: `RabbitMQ user ${vhost}`, remove: () => management.deleteUser(vhost) });
  await management.setPermissions(vhost, vhost, { configure: '.*', write: '.*', read: '.*' });
  await applyNodeQueuePolicy(management, vhost);
  const url = `amqp://${encodeURIComponent(vhost)}:${encodeURIComponent(password)}@${amqpHost}/${encodeURIComponent(vhost)}`;
  return { vhost, user: vhost, url };
}
