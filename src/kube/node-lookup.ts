import { existsSync } from 'node:fs';
import { kubeError } from './errors.js';
import { DEFAULT_KUBE_TIMEOUT_MS, k8s, loadKubeConfig, timeoutOptions } from './node-patcher.js';

/** The service-account token a pod gets (Kubernetes docs, "Configure Service Accounts for Pods"). */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Where the Kubernetes client would take its credentials from: `kubeconfig` when a
 * KUBECONFIG path is configured, `in-cluster` when the pod environment is there
 * (`KUBERNETES_SERVICE_HOST` set and the service-account token file present, as
 * client-node's `loadFromCluster` reads them), otherwise null: no cluster to ask.
 */
export function kubeCredentialSource(
  kubeconfigPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean = existsSync,
): 'kubeconfig' | 'in-cluster' | null {
  if (kubeconfigPath) return 'kubeconfig';
  if (env.KUBERNETES_SERVICE_HOST && exists(SERVICE_ACCOUNT_TOKEN)) return 'in-cluster';
  return null;
}

/**
 * Asks the Kubernetes API whether Node `name` exists (GET /api/v1/nodes/{name}): true, or
 * false on 404. Any other answer, a timeout or a connection failure throws (Transient- or
 * PermanentError from kubeError, naming the status, never the token); a kubeconfig that
 * cannot be loaded throws ConfigError naming KUBECONFIG.
 */
export async function kubeNodeExists(name: string, { kubeconfigPath, timeoutMs = DEFAULT_KUBE_TIMEOUT_MS }: { kubeconfigPath?: string; timeoutMs?: number }): Promise<boolean> {
  const api = loadKubeConfig(kubeconfigPath).makeApiClient(k8s().CoreV1Api);
  try {
    await api.readNode({ name }, timeoutOptions(timeoutMs));
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return false;
    throw kubeError(err, `GET of Node ${name}`, timeoutMs);
  }
}
