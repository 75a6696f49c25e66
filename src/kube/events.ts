import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Log } from '../log/logger.js';
import type { NodeEvent, NodeEventRecorder } from '../model/ports.js';
import { kubeError, httpStatusOf } from './errors.js';
import { DEFAULT_KUBE_TIMEOUT_MS, k8s, kubeRequestOptions, loadKubeConfig } from './node-patcher.js';

/**
 * Events on the agent's Node through the core/v1 Events API (`/api/v1/namespaces/default/events`).
 *
 * Why core/v1 and not events.k8s.io/v1: `kubectl describe node` reads core/v1 Events
 * (it lists them by involvedObject), core/v1 carries the `count` the issue asks for
 * directly (events.k8s.io/v1 moves it into `series`), and it is what the kubelet's own
 * recorder (client-go tools/record) writes for Nodes — so MultiNIC's lines sit beside
 * the kubelet's. Both APIs store the same objects; the RBAC rule is on the core group.
 *
 * As client-go's EventCorrelator does, a repeat of the same (type, reason, message) for a
 * node PATCHes the existing Event (count + 1, lastTimestamp) instead of creating another;
 * a 404 (Events expire, by default after one hour) creates it anew. The Node is
 * cluster-scoped, so its Events live in namespace `default` and name it with
 * `involvedObject: {kind: Node, name, uid: name}` (the kubelet uses the node name as UID).
 */
export interface KubeEventRecorderOptions {
  kubeconfigPath?: string;
  log: Pick<Log, 'info' | 'debug'>;
  /** Default 10 s (kube.timeout). */
  timeoutMs?: number;
  now?: () => Date;
  /** `source.component` / `reportingComponent`; default `multinic-agent`. */
  component?: string;
}

/** Kubernetes limits an Event message to 1024 bytes; longer ones are cut with an ellipsis. */
const MAX_MESSAGE = 1000;
const NAMESPACE = 'default';

export function createKubeEventRecorder(options: KubeEventRecorderOptions): NodeEventRecorder {
  const { log, timeoutMs = DEFAULT_KUBE_TIMEOUT_MS, now = () => new Date(), component = 'multinic-agent' } = options;
  const api = loadKubeConfig(options.kubeconfigPath).makeApiClient(k8s().CoreV1Api);
  const seen = new Map<string, { name: string; count: number }>();

  const create = async (node: string, e: NodeEvent, message: string, key: string, at: string) => {
    const name = `${node}.${createHash('sha256').update(`${key}\n${at}`).digest('hex').slice(0, 16)}`;
    const body = {
      metadata: { name, namespace: NAMESPACE },
      involvedObject: { apiVersion: 'v1', kind: 'Node', name: node, uid: node },
      type: e.type,
      reason: e.reason,
      message,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component, host: node },
      reportingComponent: component,
      reportingInstance: node,
    };
    try {
      await api.createNamespacedEvent({ namespace: NAMESPACE, body: body as never }, kubeRequestOptions(timeoutMs, { mergePatch: false }));
    } catch (err) {
      throw kubeError(err, `POST of Event ${name}`, timeoutMs);
    }
    seen.set(key, { name, count: 1 });
  };

  return {
    async record(node, e) {
      const message = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE - 1)}…` : e.message;
      const key = `${node}\n${e.type}\n${e.reason}\n${message}`;
      const at = now().toISOString();
      const last = seen.get(key);
      if (last) {
        const count = last.count + 1;
        try {
          await api.patchNamespacedEvent({ name: last.name, namespace: NAMESPACE, body: { count, lastTimestamp: at } }, kubeRequestOptions(timeoutMs, { mergePatch: true }));
          seen.set(key, { name: last.name, count });
          log.debug({ node, reason: e.reason, count }, 'node event counted');
          return;
        } catch (err) {
          seen.delete(key);
          if (httpStatusOf(err) !== 404) throw kubeError(err, `PATCH of Event ${last.name}`, timeoutMs);
        }
      }
      await create(node, e, message, key, at);
      log.info({ node, type: e.type, reason: e.reason }, 'node event recorded');
    },
  };
}

/** `kube.mode: log`: logs each Event it would record, sends nothing. */
export function createLoggingEventRecorder(log: Pick<Log, 'info'>): NodeEventRecorder {
  return { record: async (node, e) => log.info({ node, event: e }, 'node event not sent (kube.mode=log)') };
}

/** Chooses the recorder for `config.kube`, like createNodePatcherFromConfig. */
export function createEventRecorderFromConfig(kube: Config['kube'], log: Pick<Log, 'info' | 'debug'>): NodeEventRecorder {
  if (kube.mode === 'log') return createLoggingEventRecorder(log);
  return createKubeEventRecorder({ kubeconfigPath: kube.kubeconfig, log, timeoutMs: kube.timeout });
}

/**
 * The API server as this agent reaches it, for the `api-server` probe and the overlap
 * check: the current cluster's server URL of the kubeconfig (in a pod, the client builds it
 * from KUBERNETES_SERVICE_HOST/PORT). Undefined in `kube.mode: log`.
 */
export function apiServerEndpoint(kube: Config['kube']): { host: string; port: number } | undefined {
  if (kube.mode === 'log') return undefined;
  const url = new URL(loadKubeConfig(kube.kubeconfig).getCurrentCluster()!.server);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)) };
}
