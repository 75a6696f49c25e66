import { expect } from 'chai';
import { createKubeEventRecorder } from '../../../src/kube/events.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { start, type FakeKubeApi } from '../../helpers/fake-kube-api.js';

/** The real @kubernetes/client-node against the test's API server: core/v1 Events on a Node. */
describe('Kubernetes Events on the Node (kube/events)', () => {
  let api: FakeKubeApi;
  let t = Date.UTC(2026, 10, 30, 10, 0, 0);
  beforeEach(async () => (api = await start({ nodes: ['worker-1'] })));
  afterEach(async () => api.close());

  const recorder = () => createKubeEventRecorder({ kubeconfigPath: api.kubeconfigPath, log: createRingLogger().log, now: () => new Date((t += 1000)) });

  it('creates an Event with type, reason, message and count 1 naming the Node', async () => {
    await recorder().record('worker-1', { type: 'Normal', reason: 'InterfaceConfigured', message: 'port p1 configured as multinic0' });
    const [e] = api.events();
    expect(api.events()).to.have.length(1);
    expect(e).to.include({ type: 'Normal', reason: 'InterfaceConfigured', message: 'port p1 configured as multinic0', count: 1, reportingComponent: 'multinic-agent', reportingInstance: 'worker-1' });
    expect(e!.metadata.namespace).to.equal('default');
    expect(e!.metadata.name).to.match(/^worker-1\.[0-9a-f]{16}$/);
    expect(e!.involvedObject).to.deep.equal({ apiVersion: 'v1', kind: 'Node', name: 'worker-1', uid: 'worker-1' });
    expect(e!.firstTimestamp).to.equal(e!.lastTimestamp);
    expect(api.requests.at(-1)).to.include({ method: 'POST', path: '/api/v1/namespaces/default/events', contentType: 'application/json', authorized: true });
  });

  it('counts a repeat on the same Event with a merge patch, and a different message gets its own', async () => {
    const r = recorder();
    const refused = { type: 'Warning', reason: 'InterfaceRefused', message: 'port p2 refused: overlap' } as const;
    await r.record('worker-1', refused);
    await r.record('worker-1', refused);
    await r.record('worker-1', refused);
    await r.record('worker-1', { ...refused, message: 'port p3 refused: overlap' });
    const events = api.events();
    expect(events.map((e) => [e.message, e.count])).to.deep.equal([['port p2 refused: overlap', 3], ['port p3 refused: overlap', 1]]);
    expect(events[0]!.lastTimestamp > events[0]!.firstTimestamp).to.equal(true);
    expect(api.requests.filter((q) => q.method === 'PATCH').map((q) => q.contentType)).to.deep.equal(['application/merge-patch+json', 'application/merge-patch+json']);
  });

  it('creates the Event anew when the one it counted on has expired (404)', async () => {
    const r = recorder();
    const e = { type: 'Warning', reason: 'InterfaceRolledBack', message: 'port p4: rolled back' } as const;
    await r.record('worker-1', e);
    api.expireEvents();
    await r.record('worker-1', e);
    expect(api.events().map((x) => x.count)).to.deep.equal([1]);
  });

  it('throws a classified error when the API refuses (RBAC 403 is permanent), so the caller can log it', async () => {
    api.failNext(1, 403);
    const err = await recorder().record('worker-1', { type: 'Normal', reason: 'InterfaceConfigured', message: 'x' }).then(() => undefined, (x: unknown) => x);
    expect((err as Error).name).to.equal('PermanentError');
    expect((err as Error).message).to.match(/Kubernetes API answered 403 to POST of Event worker-1\./);
  });
});
