import type { Config } from '../config/schema.js';
import { ConfigError, PermanentError } from '../errors/errors.js';
import { reasonOf } from '../errors/classify.js';
import { kubeCredentialSource, kubeNodeExists } from '../kube/node-lookup.js';

/** The `multinic agent` flag that skips the check, for a real host the Kubernetes API cannot vouch for. */
export const CONFIGURE_THIS_HOST_FLAG = '--configure-this-host';

/** The agent refused to start because nothing shows this machine is a Kubernetes node; exit 2. */
export class NotANodeError extends PermanentError {
  override name = 'NotANodeError';
}

/** What the check reads, injectable so a test needs no pod and no cluster. */
export interface NodeEvidence {
  env: Readonly<Record<string, string | undefined>>;
  /** Default: the real file system. */
  exists?: (path: string) => boolean;
  /** Default: GET /api/v1/nodes/{name} through the Kubernetes client (src/kube/node-lookup.ts). */
  nodeExists?: (name: string) => Promise<boolean>;
}

const HOW = `The agent rewrites this host's network configuration. To try it safely: \`multinic agent --sandbox DIR\`. On a real node the Kubernetes API cannot confirm, pass ${CONFIGURE_THIS_HOST_FLAG}.`;

/**
 * Refuses to let an agent loose on a machine that is not shown to be a Kubernetes node
 * (issue 16 point 2: the README's agent command would have reconfigured a developer's
 * network). Evidence needed: Kubernetes credentials (KUBECONFIG, or a pod's in-cluster
 * service account) and a Node named `node.name` (NODE_NAME) that the API knows. Throws
 * NotANodeError naming what is missing, and the two ways on (ConfigError when NODE_NAME
 * itself is missing); resolves when confirmed.
 * The API is asked even in kube.mode=log: the mode decides whether Nodes are patched, not
 * whether this machine is one.
 */
export async function confirmKubernetesNode(config: Config, { env, exists, nodeExists }: NodeEvidence): Promise<{ node: string; via: 'kubeconfig' | 'in-cluster' }> {
  const node = config.node.name;
  // The same error startAgent gives: a missing name is a configuration error first.
  if (!node) throw new ConfigError('NODE_NAME (node.name)', 'the agent needs the name of its node (set NODE_NAME or pass --node)');
  const via = kubeCredentialSource(config.kube.kubeconfig, env, exists);
  if (!via) throw new NotANodeError(`refusing to start: this machine does not look like a Kubernetes node (no KUBECONFIG and no in-cluster service account). ${HOW}`);
  let known: boolean;
  try {
    known = await (nodeExists ?? ((name: string) => kubeNodeExists(name, { kubeconfigPath: config.kube.kubeconfig, timeoutMs: config.kube.timeout })))(node);
  } catch (err) {
    throw new NotANodeError(`refusing to start: cannot confirm that Node ${JSON.stringify(node)} exists (${reasonOf(err)}). ${HOW}`, { cause: err });
  }
  if (!known) throw new NotANodeError(`refusing to start: the Kubernetes API (${via}) knows no Node named ${JSON.stringify(node)}. ${HOW}`);
  return { node, via };
}
