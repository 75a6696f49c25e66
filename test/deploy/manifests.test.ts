import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { KEYS } from '../../src/config/keys.js';

const DIR = new URL('../../deploy/', import.meta.url);
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The schema-checked model class of each kind the manifests use. */
const MODELS: Record<string, new (o: any) => { validate(): void }> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  Namespace, ConfigMap, Secret, ServiceAccount, ClusterRole, ClusterRoleBinding, Deployment, DaemonSet,
};

function load(file: string): Obj[] {
  return parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((d) => {
    expect(d.errors, `${file}: YAML errors`).to.deep.equal([]);
    return d.toJS() as Obj;
  }).filter((o) => o !== null);
}

const manifestFiles = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const all = manifestFiles.flatMap((f) => load(f).map((o) => ({ file: f, o })));
const one = (kind: string, name: string): Obj => {
  const found = all.find(({ o }) => o.kind === kind && o.metadata?.name === name);
  expect(found, `${kind}/${name}`).to.not.equal(undefined);
  return found!.o;
};

describe('deploy/ Kubernetes manifests', function () {
  it('parse and validate against the Kubernetes schemas (kubernetes-models)', function () {
    expect(all.length).to.be.greaterThan(8);
    for (const { file, o } of all) {
      const Model = MODELS[o.kind];
      expect(Model, `${file}: unexpected kind ${o.kind}`).to.not.equal(undefined);
      expect(() => new Model!(o).validate(), `${file}: ${o.kind}/${o.metadata?.name}`).to.not.throw();
    }
  });

  it('catch a schema error (the validation can fail)', function () {
    const broken = structuredClone(one('DaemonSet', 'multinic-agent'));
    broken.spec.template.spec.hostNetwork = 'yes';
    expect(() => new DaemonSet(broken).validate()).to.throw();
  });

  it('put every namespaced object in multinic-system', function () {
    for (const { o } of all) if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal('multinic-system');
  });

  it('list every manifest in kustomization.yaml', function () {
    const k = load('kustomization.yaml')[0]!;
    expect([...k.resources].sort()).to.deep.equal(manifestFiles);
    expect(k.namespace).to.equal('multinic-system');
  });

  it('run the agent DaemonSet on every node, in the host namespaces, with probes, limits and a rolling budget', function () {
    const ds = one('DaemonSet', 'multinic-agent');
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).to.equal(true);
    expect(pod.hostPID).to.equal(true);
    expect(pod.tolerations).to.deep.include({ operator: 'Exists' });
    expect(pod.serviceAccountName).to.equal('multinic-agent');
    const c = pod.containers[0];
    expect(c.securityContext.privileged).to.equal(true);
    expect(c.env.find((e: Obj) => e.name === 'NODE_NAME').valueFrom.fieldRef.fieldPath).to.equal('spec.nodeName');
    expect(c.livenessProbe.httpGet.path).to.equal('/healthz');
    expect(c.readinessProbe.httpGet.path).to.equal('/readyz');
    expect(c.resources.requests).to.have.keys('cpu', 'memory');
    expect(c.resources.limits).to.have.keys('cpu', 'memory');
    expect(ds.spec.updateStrategy.type).to.equal('RollingUpdate');
    expect(ds.spec.updateStrategy.rollingUpdate.maxUnavailable).to.be.ok;
    const hostPaths = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v.hostPath?.path]));
    const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, hostPaths[m.name]]));
    expect(mounts['/etc/netplan']).to.equal('/etc/netplan');
    expect(mounts['/var/backups/netplan']).to.equal('/var/backups/netplan');
    expect(c.volumeMounts.find((m: Obj) => m.mountPath === '/sys').readOnly).to.equal(true);
  });

  it('run two publisher replicas with probes and resources, as non-root, with no Kubernetes token', function () {
    const d = one('Deployment', 'multinic-publisher');
    expect(d.spec.replicas).to.equal(2);
    const pod = d.spec.template.spec;
    expect(pod.automountServiceAccountToken).to.equal(false);
    expect(pod.securityContext.runAsNonRoot).to.equal(true);
    const c = pod.containers[0];
    expect(c.args).to.deep.equal(['publisher']);
    expect(c.livenessProbe.httpGet.path).to.equal('/healthz');
    expect(c.readinessProbe.httpGet.path).to.equal('/readyz');
    expect(c.resources.limits).to.have.keys('cpu', 'memory');
  });

  it('grant only nodes get/patch, to the agent only', function () {
    const roles = all.filter(({ o }) => o.kind === 'ClusterRole' || o.kind === 'Role');
    expect(roles).to.have.length(1);
    expect(roles[0]!.o.rules).to.deep.equal([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]);
    const binding = one('ClusterRoleBinding', 'multinic-agent');
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'multinic-agent', namespace: 'multinic-system' }]);
    expect(all.filter(({ o }) => o.kind.endsWith('Binding'))).to.have.length(1);
  });

  it('hold placeholders only in Secrets', function () {
    const secrets = all.filter(({ o }) => o.kind === 'Secret');
    expect(secrets.length).to.be.greaterThan(0);
    for (const { o } of secrets) {
      expect(o.data, 'no base64 data').to.equal(undefined);
      expect(o.stringData.DB_PASSWORD).to.equal('REPLACE_ME');
      const url = new URL(o.stringData.AMQP_URL);
      expect(url.password).to.equal('REPLACE_ME');
    }
  });

  it('use only environment names that are configuration keys', function () {
    const known = new Set(KEYS.map((k) => k.env));
    const used = new Set<string>();
    for (const { o } of all) {
      if (o.kind === 'ConfigMap') Object.keys(o.data ?? {}).forEach((k) => used.add(k));
      if (o.kind === 'Secret') Object.keys({ ...o.stringData, ...o.data }).forEach((k) => used.add(k));
      for (const c of o.spec?.template?.spec?.containers ?? []) for (const e of c.env ?? []) used.add(e.name);
    }
    expect(used.size).to.be.greaterThan(5);
    expect([...used].filter((n) => !known.has(n))).to.deep.equal([]);
  });
});
