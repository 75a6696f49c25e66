import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ClusterAccess } from './fleet.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/rabbitmq/cluster.sh', import.meta.url));

/** The classic queues of the contract, which a cluster must mirror (README, "A RabbitMQ cluster"). */
export const SIDE_QUEUES_PATTERN = '^multinic\\.(dead|unroutable)$';

/** Node numbers of the test cluster (scripts/rabbitmq/cluster.sh): node N serves AMQP on 568N, management on 1568N. */
export const CLUSTER_NODES = [1, 2, 3] as const;
export type ClusterNode = (typeof CLUSTER_NODES)[number];

/**
 * The fault suite's handle on the 3-node RabbitMQ cluster of scripts/rabbitmq/cluster.sh
 * (apart from the machine's broker; MULTINIC_CLUSTER_DIR and MULTINIC_CLUSTER_NAME pass
 * through). Each call runs the script, whose errors name the node and its log.
 */
export const rabbitCluster = {
  access: { adminUrl: 'http://guest:guest@127.0.0.1:15681/', amqpHosts: CLUSTER_NODES.map((n) => `127.0.0.1:568${n}`) } satisfies ClusterAccess,

  async script(...args: string[]): Promise<string> {
    try {
      return (await run('bash', [SCRIPT, ...args], { timeout: 180_000 })).stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`scripts/rabbitmq/cluster.sh ${args.join(' ')} failed: ${e.stderr?.trim().split('\n').slice(-3).join(' | ') || e.message}`, { cause: err });
    }
  },

  /** True when all three nodes run and are clustered. */
  async running(): Promise<boolean> {
    return this.script('check').then(() => true, () => false);
  },

  /**
   * Mirrors the classic side queues (multinic.dead, multinic.unroutable) of `vhost` over all
   * nodes with a policy, as the README tells cluster operators to: without it they live on
   * one node only, and while that node is down the publisher cannot declare them.
   */
  async mirrorSideQueues(vhost: string): Promise<void> {
    const admin = new URL(this.access.adminUrl);
    const res = await fetch(`${admin.origin}/api/policies/${encodeURIComponent(vhost)}/multinic-side-queues`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`${decodeURIComponent(admin.username)}:${decodeURIComponent(admin.password)}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pattern: SIDE_QUEUES_PATTERN, definition: { 'ha-mode': 'all', 'ha-sync-mode': 'automatic' }, 'apply-to': 'queues' }),
    });
    if (!res.ok) throw new Error(`setting the side-queue policy on the test cluster: HTTP ${res.status} ${await res.text()}`);
  },

  /** The node leading each quorum queue of the vhost, by queue name. */
  async leaders(vhost: string): Promise<Map<string, ClusterNode>> {
    const out = await this.script('leaders', vhost);
    return new Map(out.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]).map(([q, n]) => [q, Number(n) as ClusterNode]));
  },
};
