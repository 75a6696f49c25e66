import { ManagementClient } from '../amqp/management.js';
import { createScratchVhost, type Created } from './scratch-vhost.js';
import { randomPassword, uniqueSuffix } from './ids.js';

/**
 * Per-test RabbitMQ vhosts: each test gets the contract's fixed exchange and queue
 * names in a vhost of its own, with a user of its own, deleted afterwards. The
 * management API (default guest on localhost, override with MULTINIC_TEST_AMQP_ADMIN_URL)
 * creates them and lets a test close a client connection as a network cut would.
 */
export const AMQP_HOST = process.env.MULTINIC_TEST_AMQP_HOST ?? '127.0.0.1:5672';
export const MANAGEMENT_ADMIN_URL = process.env.MULTINIC_TEST_AMQP_ADMIN_URL ?? 'http://guest:guest@127.0.0.1:15672/';

export interface TestVhost {
  vhost: string;
  user: string;
  /** amqp:// URL for this vhost as its own user. */
  url: string;
  /** Management API URL authenticated as the administrator. */
  managementUrl: string;
  management: ManagementClient;
  /** Closes every client connection on this vhost (optionally only those whose name matches). */
  closeConnections(match?: (c: { name: string; connectionName?: string }) => boolean): Promise<number>;
  delete(): Promise<void>;
}

export function adminManagement(): ManagementClient {
  return new ManagementClient(MANAGEMENT_ADMIN_URL);
}

/** Which broker a test vhost lives on: by default the machine's (see AMQP_HOST, MANAGEMENT_ADMIN_URL). */
export interface BrokerAccess {
  /** Management API authenticated as an administrator. */
  adminUrl: string;
  /** host:port of the AMQP listener put in the vhost's URL. */
  amqpHost: string;
}

export async function createTestVhost(prefix = 'mnt', { adminUrl, amqpHost }: BrokerAccess = { adminUrl: MANAGEMENT_ADMIN_URL, amqpHost: AMQP_HOST }): Promise<TestVhost> {
  const management = new ManagementClient(adminUrl);
  try {
    await management.overview();
  } catch (err) {
    throw new Error(
      `RabbitMQ management API is not reachable for test set-up: ${(err as Error).message}. ` +
        'Start RabbitMQ and enable rabbitmq_management with scripts/services/start.sh (CI does this in .ci/run).',
      { cause: err },
    );
  }
  const removals: Created[] = [];
  const { vhost, user, url } = await createScratchVhost(management, {
    vhost: `${prefix}-${uniqueSuffix()}`,
    password: randomPassword(),
    amqpHost,
    created: (c) => removals.push(c),
  });
  return {
    vhost,
    user,
    url,
    managementUrl: adminUrl,
    management,
    async closeConnections(match = () => true) {
      const conns = await management.listConnections(vhost);
      const chosen = conns.filter((c) => match({ name: c.name, connectionName: c.client_properties?.connection_name }));
      for (const c of chosen) await management.closeConnection(c.name);
      return chosen.length;
    },
    async delete() {
      for (const r of removals) await r.remove(); // vhost (closing its connections), then user
    },
  };
}
