import { expect } from 'chai';
import { loadConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors/errors.js';
import { TransientError } from '../../../src/errors/errors.js';
import { SERVICE_ACCOUNT_TOKEN } from '../../../src/kube/node-lookup.js';
import { confirmKubernetesNode, NotANodeError, type NodeEvidence } from '../../../src/roots/node-guard.js';

const config = (env: Record<string, string>) => loadConfig({ env });
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => e);
const POD = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
const tokenPresent = (path: string) => path === SERVICE_ACCOUNT_TOKEN;

describe('confirmKubernetesNode: the agent starts only on a machine shown to be a Kubernetes node', () => {
  it('refuses a development machine: no KUBECONFIG, no service account, and never asks an API', async () => {
    let asked = 0;
    const evidence: NodeEvidence = { env: {}, exists: () => false, nodeExists: async () => (asked++, true) };
    const err = await refusal(confirmKubernetesNode(config({ NODE_NAME: 'worker-1' }), evidence));
    expect(err).to.be.instanceOf(NotANodeError);
    expect(err!.message).to.match(/does not look like a Kubernetes node \(no KUBECONFIG and no in-cluster service account\)/);
    expect(err!.message).to.include('--sandbox DIR').and.include('--configure-this-host');
    expect(asked).to.equal(0);
  });

  it('refuses a pod environment without the token file, and KUBERNETES_SERVICE_HOST alone', async () => {
    const err = await refusal(confirmKubernetesNode(config({ NODE_NAME: 'worker-1' }), { env: POD, exists: () => false, nodeExists: async () => true }));
    expect(err).to.be.instanceOf(NotANodeError);
  });

  it('refuses a NODE_NAME the API does not know, naming it and where the credentials came from', async () => {
    const err = await refusal(confirmKubernetesNode(config({ NODE_NAME: 'laptop' }), { env: POD, exists: tokenPresent, nodeExists: async () => false }));
    expect(err).to.be.instanceOf(NotANodeError);
    expect(err!.message).to.include('the Kubernetes API (in-cluster) knows no Node named "laptop"');
  });

  it('refuses when the API cannot answer, with the reason', async () => {
    const err = await refusal(
      confirmKubernetesNode(config({ NODE_NAME: 'worker-1', KUBECONFIG: '/k/config' }), {
        env: {},
        nodeExists: async () => {
          throw new TransientError('Kubernetes API unreachable for GET of Node worker-1: ECONNREFUSED');
        },
      }),
    );
    expect(err).to.be.instanceOf(NotANodeError);
    expect(err!.message).to.match(/cannot confirm that Node "worker-1" exists \(TransientError: .*ECONNREFUSED\)/);
  });

  it('a missing NODE_NAME is the configuration error startAgent gives', async () => {
    const err = await refusal(confirmKubernetesNode(config({}), { env: POD, exists: tokenPresent, nodeExists: async () => true }));
    expect(err).to.be.instanceOf(ConfigError);
    expect(err!.message).to.match(/^NODE_NAME \(node\.name\)/);
  });

  it('confirms a known Node through KUBECONFIG or the in-cluster account, even in kube.mode=log', async () => {
    const seen: string[] = [];
    const nodeExists = async (n: string) => (seen.push(n), true);
    expect(await confirmKubernetesNode(config({ NODE_NAME: 'w1', KUBECONFIG: '/k/config' }), { env: {}, nodeExists })).to.deep.equal({ node: 'w1', via: 'kubeconfig' });
    expect(await confirmKubernetesNode(config({ NODE_NAME: 'w2', KUBE_MODE: 'log' }), { env: POD, exists: tokenPresent, nodeExists })).to.deep.equal({ node: 'w2', via: 'in-cluster' });
    expect(seen).to.deep.equal(['w1', 'w2']);
  });
});
