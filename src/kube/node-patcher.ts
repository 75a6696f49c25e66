import { createRequire } from 'node:module';
import type * as K8s from '@kubernetes/client-node';
import type { NodeInterfaceState, NodePatcher } from '../model/ports.js';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';
import { kubeError } from './errors.js';
import { computeNodePatch, type NodePatch } from './patch.js';

/** Options of one `patchInterfaces` call. */
export interface PatchOptions {
  /**
   * Send even when the patch equals the last one this process sent for the node. The
   * agent's resync passes `true`, so whatever happened to the Node meanwhile (a lost
   * patch, a person's `kubectl label --overwrite`) is repaired on every resync.
   */
  force?: boolean;
}

/**
 * A NodePatcher that also accepts {@link PatchOptions}; a plain `NodePatcher` caller
 * (two arguments) gets the cached behaviour.
 */
export interface KubeNodePatcher extends NodePatcher {
  patchInterfaces(kubeNodeName: string, state: NodeInterfaceState, options?: PatchOptions): Promise<void>;
}

export interface KubeNodePatcherOptions {
  /** kubeconfig file; in-cluster service-account config when absent. */
  kubeconfigPath?: string;
  log: Pick<Log, 'info' | 'debug'>;
  /** Per-request timeout; a request that takes longer fails as retryable. Default 10 s. */
  timeoutMs?: number;
  /**
   * How long an identical patch is skipped without `force`. Default 5 minutes, so even a
   * caller that never forces re-sends the state at least that often.
   */
  cacheTtlMs?: number;
  /** Clock for the cache's age, in ms. Default `Date.now`. */
  now?: () => number;
}

let loadedClient: typeof K8s | undefined;

/**
 * The Kubernetes client, loaded on first use: it is about 80 MiB of an agent's resident
 * memory (measured with the compiled agent), which an agent in kube.mode=log, the demo
 * and every other command never need. Loaded synchronously (require of an ES module,
 * Node >= 20.19, which package.json's engines demands) so that the factories stay
 * synchronous and a bad KUBECONFIG still fails at start-up.
 */
export function k8s(): typeof K8s {
  loadedClient ??= createRequire(import.meta.url)('@kubernetes/client-node') as typeof K8s;
  return loadedClient;
}

/** Default request timeout, matching the kube.timeout config default. */
export const DEFAULT_KUBE_TIMEOUT_MS = 10_000;
const DEFAULT_CACHE_TTL_MS = 5 * 60_000;

/**
 * Patches Nodes through the real Kubernetes client with a JSON merge patch
 * (`application/merge-patch+json`: labels and annotations merge, `null` deletes).
 *
 * The last patch successfully sent per node is remembered in this process only, and an
 * identical one is skipped — a duplicate event then costs no API call. It heals because:
 * the cache dies with the process; an entry is dropped whenever a send fails (the server
 * may or may not have applied it); it expires after `cacheTtlMs`; and `force` bypasses it.
 *
 * Errors: a 409/429/401/5xx answer, a timeout or a connection failure becomes a
 * `TransientError` (retry); 400/403/404/415/422 a `PermanentError` (dead-letter). Messages
 * name the node and the status, never the token.
 */
export function createKubeNodePatcher(options: KubeNodePatcherOptions): KubeNodePatcher {
  const { log, timeoutMs = DEFAULT_KUBE_TIMEOUT_MS, cacheTtlMs = DEFAULT_CACHE_TTL_MS, now = Date.now } = options;
  const api = loadKubeConfig(options.kubeconfigPath).makeApiClient(k8s().CoreV1Api);
  const sent = new Map<string, { body: string; at: number }>();

  return {
    async patchInterfaces(kubeNodeName, state, { force = false } = {}) {
      const patch = computeNodePatch(state);
      const body = JSON.stringify(patch);
      const last = sent.get(kubeNodeName);
      if (!force && last?.body === body && now() - last.at < cacheTtlMs) {
        log.debug({ node: kubeNodeName }, 'node patch unchanged, not sent');
        return;
      }
      sent.delete(kubeNodeName);
      try {
        await api.patchNode({ name: kubeNodeName, body: patch }, requestOptions(timeoutMs));
      } catch (err) {
        throw kubeError(err, `PATCH of Node ${kubeNodeName}`, timeoutMs);
      }
      sent.set(kubeNodeName, { body, at: now() });
      log.info({ node: kubeNodeName, labels: patch.metadata.labels, forced: force }, 'node patched');
    },
  };
}

/**
 * The "run without Kubernetes" switch (`kube.mode: log`): logs, at info, exactly the
 * merge patch it would send, and sends nothing.
 */
export function createLoggingNodePatcher(log: Pick<Log, 'info'>): KubeNodePatcher {
  return {
    async patchInterfaces(kubeNodeName, state, { force = false } = {}) {
      const patch: NodePatch = computeNodePatch(state);
      log.info({ node: kubeNodeName, patch, forced: force }, 'node patch not sent (kube.mode=log)');
    },
  };
}

/** Chooses the patcher for `config.kube`: `api` talks to the cluster, `log` only logs. */
export function createNodePatcherFromConfig(kube: Config['kube'], log: Pick<Log, 'info' | 'debug'>): KubeNodePatcher {
  if (kube.mode === 'log') return createLoggingNodePatcher(log);
  return createKubeNodePatcher({ kubeconfigPath: kube.kubeconfig, log, timeoutMs: kube.timeout });
}

/** A fresh options object per request (the client reverses its middleware list in place) that aborts after `timeoutMs`. */
export function timeoutOptions(timeoutMs: number): { middleware: K8s.ObservableMiddleware[] } {
  const { Observable } = k8s();
  const timeout: K8s.ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(ctx));
    },
    post: (res) => new Observable(Promise.resolve(res)),
  };
  return { middleware: [timeout] };
}

function requestOptions(timeoutMs: number) {
  const { PatchStrategy, setHeaderOptions } = k8s();
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch, timeoutOptions(timeoutMs));
}

/** The client's configuration from `kubeconfigPath`, else in-cluster; a ConfigError naming KUBECONFIG when neither works. */
export function loadKubeConfig(kubeconfigPath: string | undefined): K8s.KubeConfig {
  const kc = new (k8s().KubeConfig)();
  if (kubeconfigPath) {
    try {
      kc.loadFromFile(kubeconfigPath);
    } catch (err) {
      throw new ConfigError('KUBECONFIG', `cannot load ${kubeconfigPath}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  } else {
    kc.loadFromCluster();
    // Outside a pod the client builds `https://undefined:undefined` instead of failing.
    if (kc.getCurrentCluster()?.server.includes('undefined')) {
      throw new ConfigError('KUBECONFIG', 'not set, and not running in a pod (no in-cluster service account); set KUBECONFIG or kube.mode=log');
    }
  }
  if (!kc.getCurrentCluster()?.server) throw new ConfigError('KUBECONFIG', `${kubeconfigPath ?? 'in-cluster config'} names no cluster server`);
  return kc;
}
