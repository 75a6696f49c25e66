import { redactText } from '../log/redact.js';

/** A queue as the management API reports it (the fields MultiNIC reads). */
export interface QueueInfo {
  name: string;
  vhost: string;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  single_active_consumer_tag?: string;
  arguments?: Record<string, unknown>;
  /** `classic`, `quorum` or `stream`. */
  type?: string;
  /** The policy that applies to the queue, if any. */
  policy?: string;
  effective_policy_definition?: Record<string, unknown>;
}

/** A client connection as the management API reports it. */
export interface ConnectionInfo {
  name: string;
  vhost: string;
  user: string;
  client_properties?: { connection_name?: string; [k: string]: unknown };
}

/** Failure of a management API call; `status` is the HTTP status (0 when unreachable). */
export class ManagementError extends Error {
  override name = 'ManagementError';
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Whether a management API failure should move a caller on to the next broker of a
 * cluster: the broker is unreachable (status 0) or failing (5xx). A 4xx answer is the
 * cluster's answer (bad credentials, no such vhost) and would be the same on every broker.
 */
export function isBrokerUnavailable(err: unknown): boolean {
  return err instanceof ManagementError && (err.status === 0 || err.status >= 500);
}

/**
 * A small client of the RabbitMQ management HTTP API, used by `multinic status` and by
 * the tests (vhosts per test, closing a connection to simulate a network cut). The
 * credentials come from the URL (`http://user:pass@host:15672/`) and never appear in
 * an error message.
 */
export class ManagementClient {
  private readonly base: string;
  private readonly auth: string;

  constructor(url: string, private readonly timeoutMs = 5_000) {
    const u = new URL(url);
    this.auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
    this.base = u.toString().replace(/\/$/, '');
  }

  private async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T | undefined> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api${path}`, {
        method,
        headers: { authorization: this.auth, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ManagementError(`RabbitMQ management API at ${this.base} is not reachable: ${redactText((err as Error).message)}`, 0, { cause: err });
    }
    if (res.status === 404 && method === 'GET') return undefined;
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw new ManagementError(`RabbitMQ management API ${method} ${path}: HTTP ${res.status} ${text}`, res.status);
    }
    const text = await res.text();
    return text ? (JSON.parse(text) as T) : undefined;
  }

  private static v(vhost: string): string {
    return encodeURIComponent(vhost);
  }

  async overview(): Promise<{ rabbitmq_version: string; cluster_name: string }> {
    return (await this.request('GET', '/overview'))!;
  }
  async putVhost(vhost: string): Promise<void> {
    await this.request('PUT', `/vhosts/${ManagementClient.v(vhost)}`, {});
  }
  async deleteVhost(vhost: string): Promise<void> {
    await this.request('DELETE', `/vhosts/${ManagementClient.v(vhost)}`).catch((err: ManagementError) => {
      if (err.status !== 404) throw err;
    });
  }
  async putUser(user: string, password: string, tags = ''): Promise<void> {
    await this.request('PUT', `/users/${encodeURIComponent(user)}`, { password, tags });
  }
  async deleteUser(user: string): Promise<void> {
    await this.request('DELETE', `/users/${encodeURIComponent(user)}`).catch((err: ManagementError) => {
      if (err.status !== 404) throw err;
    });
  }
  /** Sets a user's configure / write / read regular expressions on a vhost. */
  async setPermissions(vhost: string, user: string, perms: { configure: string; write: string; read: string }): Promise<void> {
    await this.request('PUT', `/permissions/${ManagementClient.v(vhost)}/${encodeURIComponent(user)}`, perms);
  }
  /** Creates or replaces a policy on a vhost (needs the `policymaker` or `administrator` tag). */
  async putPolicy(vhost: string, name: string, policy: { pattern: string; definition: Record<string, unknown>; priority: number; 'apply-to': string }): Promise<void> {
    await this.request('PUT', `/policies/${ManagementClient.v(vhost)}/${encodeURIComponent(name)}`, policy);
  }
  async getPolicy(vhost: string, name: string): Promise<{ pattern: string; definition: Record<string, unknown>; priority: number; 'apply-to': string } | undefined> {
    return this.request('GET', `/policies/${ManagementClient.v(vhost)}/${encodeURIComponent(name)}`);
  }
  async deletePolicy(vhost: string, name: string): Promise<void> {
    await this.request('DELETE', `/policies/${ManagementClient.v(vhost)}/${encodeURIComponent(name)}`).catch((err: ManagementError) => {
      if (err.status !== 404) throw err;
    });
  }
  async listQueues(vhost: string): Promise<QueueInfo[]> {
    return (await this.request<QueueInfo[]>('GET', `/queues/${ManagementClient.v(vhost)}`)) ?? [];
  }
  async getQueue(vhost: string, name: string): Promise<QueueInfo | undefined> {
    return this.request<QueueInfo>('GET', `/queues/${ManagementClient.v(vhost)}/${encodeURIComponent(name)}`);
  }
  async listConnections(vhost?: string): Promise<ConnectionInfo[]> {
    const path = vhost === undefined ? '/connections' : `/vhosts/${ManagementClient.v(vhost)}/connections`;
    return (await this.request<ConnectionInfo[]>('GET', path)) ?? [];
  }
  /** Closes a client connection as a broker-side cut would; the client sees 320 CONNECTION_FORCED. */
  async closeConnection(name: string, reason = 'closed by MultiNIC test'): Promise<void> {
    await this.request('DELETE', `/connections/${encodeURIComponent(name)}`, undefined, { 'x-reason': reason }).catch((err: ManagementError) => {
      if (err.status !== 404) throw err;
    });
  }
  /** Fetches (and requeues) up to `count` messages without consuming them, for inspection. */
  async peekMessages(vhost: string, queue: string, count: number): Promise<Array<{ payload: string; properties: Record<string, unknown>; routing_key: string }>> {
    return (
      (await this.request<Array<{ payload: string; properties: Record<string, unknown>; routing_key: string }>>(
        'POST',
        `/queues/${ManagementClient.v(vhost)}/${encodeURIComponent(queue)}/get`,
        { count, ackmode: 'ack_requeue_true', encoding: 'auto', truncate: 50_000 },
      )) ?? []
    );
  }
}
