import { expect } from 'chai';
import * as k8s from '@kubernetes/client-node';
import { start, type FakeKubeApi } from '../../helpers/fake-kube-api.js';

/** The fake must behave like the API server where MultiNIC relies on it, or the patcher tests prove nothing. */
describe('fake Kubernetes Node API', () => {
  let api: FakeKubeApi;
  let core: k8s.CoreV1Api;

  beforeEach(async () => {
    api = await start({ nodes: ['worker-1'] });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });

  afterEach(async () => {
    await api.close();
  });

  it('serves GET of a node to the real client, and 404 for an unknown one', async () => {
    const node = await core.readNode({ name: 'worker-1' });
    const missing = await core.readNode({ name: 'nope' }).then(() => undefined, (e: unknown) => e);

    expect(node.metadata?.name).to.equal('worker-1');
    expect((missing as { code?: number }).code).to.equal(404);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /api/v1/nodes/worker-1', 'GET /api/v1/nodes/nope']);
  });

  it('refuses a patch in any other content type with 415 and leaves the node alone', async () => {
    const before = api.node('worker-1');

    // Without the explicit header the client sends application/json-patch+json.
    const err = await core.patchNode({ name: 'worker-1', body: [{ op: 'add', path: '/metadata/labels/x', value: 'y' }] }).then(() => undefined, (e: unknown) => e);

    expect((err as { code?: number }).code).to.equal(415);
    expect(api.requests[0]!.contentType).to.equal('application/json-patch+json');
    expect(api.node('worker-1')).to.deep.equal(before);
  });

  it('answers 401 to a request without the bearer token', async () => {
    const res = await fetch(`${api.url}/api/v1/nodes/worker-1`);

    expect(res.status).to.equal(401);
    expect(await res.json()).to.include({ kind: 'Status', code: 401 });
    expect(api.requests[0]!.authorized).to.equal(false);
  });

  it('merges a merge patch into the stored node and moves its resourceVersion', async () => {
    const before = api.node('worker-1')!;

    await core.patchNode(
      { name: 'worker-1', body: { metadata: { labels: { a: '1' }, annotations: { b: '2' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );

    const after = api.node('worker-1')!;
    expect(after.metadata.labels).to.deep.equal({ ...before.metadata.labels, a: '1' });
    expect(after.metadata.annotations).to.deep.equal({ b: '2' });
    expect(after.metadata.resourceVersion).to.not.equal(before.metadata.resourceVersion);
  });

  it('answers queued faults in order, then serves normally', async () => {
    api.failNext(2, 429);

    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await fetch(`${api.url}/api/v1/nodes/worker-1`, { headers: { authorization: 'Bearer fake-kube-api-dummy-token' } })).status);

    expect(codes).to.deep.equal([429, 429, 200]);
    expect(api.requests.map((r) => r.fault)).to.deep.equal([429, 429, undefined]);
  });
});
