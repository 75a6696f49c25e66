import { expect } from 'chai';
import type { ConfiguredInterface, NodeInterfaceState } from '../../../src/model/ports.js';
import { ConfigError, PermanentError, TransientError } from '../../../src/errors/errors.js';
import { Verdict, classify } from '../../../src/errors/classify.js';
import { createKubeNodePatcher, createNodePatcherFromConfig, type KubeNodePatcher } from '../../../src/kube/node-patcher.js';
import { Annotations, Labels, computeNodePatch } from '../../../src/kube/patch.js';
import { createRingLogger } from '../../../src/log/logger.js';
import { start, type FakeKubeApi, type KubeFault } from '../../helpers/fake-kube-api.js';

const iface = (n: number, over: Partial<ConfiguredInterface> = {}): ConfiguredInterface => ({
  name: `multinic${n}`,
  macAddress: `fa:16:3e:00:00:0${n}`,
  portId: `port-${n}`,
  subnetId: 'subnet-a',
  networkId: 'net-a',
  cidr: '10.10.0.0/24',
  address: `10.10.0.${n + 10}`,
  mtu: 1450,
  generation: 1,
  origin: '/multinic/publisher',
  ...over,
});

const healthy: NodeInterfaceState = { interfaces: [iface(2), iface(10), iface(1, { cidr: '2001:db8::/64', address: '2001:db8::5' })], ready: true, lastError: null };
const broken: NodeInterfaceState = { interfaces: [iface(1)], ready: false, lastError: 'port port-9: subnet sub-x unknown' };

/** Short, so the 'timeout' fault costs little; the fake never answers such a request at all. */
const TIMEOUT_MS = 300;

describe('kube NodePatcher with the real client against the fake Node API', () => {
  let api: FakeKubeApi;
  let patcher: KubeNodePatcher;
  let ring: ReturnType<typeof createRingLogger>;
  let clock: number;

  beforeEach(async () => {
    api = await start({ nodes: ['worker-1', 'worker-2'] });
    ring = createRingLogger();
    clock = 1_000_000;
    patcher = createKubeNodePatcher({ kubeconfigPath: api.kubeconfigPath, log: ring.log, timeoutMs: TIMEOUT_MS, now: () => clock });
  });

  afterEach(async () => {
    await api.close();
  });

  it('lands labels and annotations as DESIGN says, as a merge patch, keeping what others put on the Node', async () => {
    await patcher.patchInterfaces('worker-1', healthy);

    const node = api.node('worker-1')!;
    expect(node.metadata.labels).to.deep.equal({ 'kubernetes.io/hostname': 'worker-1', [Labels.InterfaceCount]: '3', [Labels.Ready]: 'true' });
    expect(JSON.parse(node.metadata.annotations[Annotations.Interfaces]!).map((e: { name: string }) => e.name)).to.deep.equal(['multinic1', 'multinic2', 'multinic10']);
    expect(node.metadata.annotations).to.not.have.property(Annotations.LastError);
    expect(api.requests).to.have.length(1);
    expect(api.requests[0]).to.include({ method: 'PATCH', path: '/api/v1/nodes/worker-1', contentType: 'application/merge-patch+json', authorized: true });
    expect(api.requests[0]!.body).to.deep.equal(computeNodePatch(healthy));
    expect(api.node('worker-2')!.metadata.labels).to.not.have.property(Labels.Ready);
  });

  it('skips a second identical patch, unless forced', async () => {
    await patcher.patchInterfaces('worker-1', healthy);
    await patcher.patchInterfaces('worker-1', { ...healthy, interfaces: [...healthy.interfaces].reverse() });
    expect(api.requests, 'identical state sent again').to.have.length(1);

    await patcher.patchInterfaces('worker-1', healthy, { force: true });
    expect(api.requests, 'forced').to.have.length(2);
  });

  it('sends again once the cache entry is older than its TTL (default 5 minutes)', async () => {
    await patcher.patchInterfaces('worker-1', healthy);
    clock += 5 * 60_000;
    await patcher.patchInterfaces('worker-1', healthy);

    expect(api.requests).to.have.length(2);
  });

  it('heals a Node someone changed behind its back on the next forced patch', async () => {
    await patcher.patchInterfaces('worker-1', healthy);
    // A person (or a lost patch) leaves the Node out of step with the state.
    await fetchPatch(api, 'worker-1', { metadata: { labels: { [Labels.Ready]: 'false' } } });

    await patcher.patchInterfaces('worker-1', healthy, { force: true });

    expect(api.node('worker-1')!.metadata.labels[Labels.Ready]).to.equal('true');
  });

  it('sets last-error while unhealthy and deletes it once healed', async () => {
    await patcher.patchInterfaces('worker-1', broken);
    const sick = api.node('worker-1')!;
    expect(sick.metadata.labels[Labels.Ready]).to.equal('false');
    expect(sick.metadata.annotations[Annotations.LastError]).to.equal('port port-9: subnet sub-x unknown');

    await patcher.patchInterfaces('worker-1', healthy);

    const well = api.node('worker-1')!;
    expect(well.metadata.labels[Labels.Ready]).to.equal('true');
    expect(well.metadata.annotations).to.not.have.property(Annotations.LastError);
    expect((api.requests[1]!.body as { metadata: { annotations: object } }).metadata.annotations).to.have.property(Annotations.LastError, null);
  });

  const retryable: KubeFault[] = [500, 503, 409, 429, 'timeout', 'reset'];
  for (const fault of retryable) {
    it(`classifies ${fault} as retry, names the node, never the token, and recovers on the next call`, async () => {
      api.failNext(1, fault);

      const err = await patcher.patchInterfaces('worker-1', healthy).then(() => undefined, (e: unknown) => e);

      expect(err).to.be.instanceOf(TransientError);
      expect(classify(err)).to.equal(Verdict.Retry);
      expect((err as Error).message).to.include('worker-1');
      if (typeof fault === 'number') expect((err as Error).message).to.include(String(fault));
      expect(JSON.stringify({ m: (err as Error).message, s: (err as Error).stack })).to.not.include('dummy-token');
      await patcher.patchInterfaces('worker-1', healthy);
      expect(api.node('worker-1')!.metadata.labels[Labels.Ready]).to.equal('true');
    });
  }

  it('classifies an unknown node (404) and an invalid patch (422) as dead-letter', async () => {
    const missing = await patcher.patchInterfaces('no-such-node', healthy).then(() => undefined, (e: unknown) => e);
    api.failNext(1, 422);
    const invalid = await patcher.patchInterfaces('worker-1', healthy).then(() => undefined, (e: unknown) => e);

    expect(missing).to.be.instanceOf(PermanentError);
    expect((missing as Error).message).to.include('404').and.include('no-such-node');
    expect(classify(missing)).to.equal(Verdict.DeadLetter);
    expect(invalid).to.be.instanceOf(PermanentError);
    expect(classify(invalid)).to.equal(Verdict.DeadLetter);
  });

  it('classifies a refused connection as retry', async () => {
    await api.close();

    const err = await patcher.patchInterfaces('worker-1', healthy).then(() => undefined, (e: unknown) => e);

    expect(classify(err)).to.equal(Verdict.Retry);
    expect((err as Error).message).to.include('ECONNREFUSED');
    api = await start({ nodes: [] }); // so afterEach has a server of its own to close
  });

  it('does not trust its cache after a failed send: the same patch goes out again', async () => {
    await patcher.patchInterfaces('worker-1', healthy);
    // The broken patch may have reached the server before the connection died.
    api.failNext(1, 'reset');
    await patcher.patchInterfaces('worker-1', broken).catch(() => undefined);

    await patcher.patchInterfaces('worker-1', healthy);

    expect(api.requests.map((r) => r.fault ?? 'ok')).to.deep.equal(['ok', 'reset', 'ok']);
  });

  it('is chosen by createNodePatcherFromConfig for kube.mode=api', async () => {
    const fromConfig = createNodePatcherFromConfig({ mode: 'api', kubeconfig: api.kubeconfigPath, timeout: TIMEOUT_MS }, ring.log);

    await fromConfig.patchInterfaces('worker-2', broken);

    expect(api.node('worker-2')!.metadata.labels[Labels.Ready]).to.equal('false');
  });

  it('in kube.mode=log sends nothing and logs the exact patch at info', async () => {
    const logging = createNodePatcherFromConfig({ mode: 'log', kubeconfig: api.kubeconfigPath, timeout: TIMEOUT_MS }, ring.log);

    await logging.patchInterfaces('worker-1', broken);

    expect(api.requests).to.have.length(0);
    const record = ring.records().find((r) => r.node === 'worker-1' && r.patch);
    expect(record, 'a log record carrying the patch').to.not.equal(undefined);
    expect(record!.level).to.equal(30);
    expect(record!.patch).to.deep.equal(computeNodePatch(broken));
  });

  it('refuses a kubeconfig it cannot load with an error naming KUBECONFIG', () => {
    expect(() => createKubeNodePatcher({ kubeconfigPath: '/nonexistent/kubeconfig', log: ring.log }))
      .to.throw(ConfigError, /KUBECONFIG/);
  });
});

/** A merge patch sent by someone else than MultiNIC (the dummy token comes from the kubeconfig). */
async function fetchPatch(api: FakeKubeApi, name: string, body: unknown): Promise<void> {
  const res = await fetch(`${api.url}/api/v1/nodes/${name}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json', authorization: 'Bearer fake-kube-api-dummy-token' },
    body: JSON.stringify(body),
  });
  expect(res.status).to.equal(200);
}
