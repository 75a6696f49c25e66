import { NODE_QUEUE_POLICY } from './topology.js';

/** The part of the management client that sets a policy; the real one is ManagementClient. */
export interface PolicySetter {
  putPolicy(vhost: string, name: string, policy: { pattern: string; definition: Record<string, unknown>; priority: number; 'apply-to': string }): Promise<void>;
}

/**
 * Applies NODE_QUEUE_POLICY (delivery limit, dead-letter exchange of every node queue) on
 * `vhost` through the management API: `PUT /api/policies/<vhost>/multinic-node-queues`,
 * idempotent. RabbitMQ applies a policy to existing and future queues that match it, so a
 * release that changes a value changes it on queues that hold messages (RabbitMQ
 * "Policies" guide). Throws ManagementError (status 401/403 without the policymaker tag, 0
 * when unreachable); `setPolicyCommand` is what an operator runs instead.
 */
export async function applyNodeQueuePolicy(management: PolicySetter, vhost: string): Promise<void> {
  const { name, pattern, definition, priority, applyTo } = NODE_QUEUE_POLICY;
  await management.putPolicy(vhost, name, { pattern, definition: { ...definition }, priority, 'apply-to': applyTo });
}

/** The `rabbitmqctl set_policy` line that sets the same policy by hand (rabbitmqctl(8), set_policy). */
export function setPolicyCommand(vhost: string): string {
  const { name, pattern, definition, priority, applyTo } = NODE_QUEUE_POLICY;
  return `rabbitmqctl set_policy -p '${vhost}' --priority ${priority} --apply-to ${applyTo} ${name} '${pattern}' '${JSON.stringify(definition)}'`;
}
