import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { KEYS } from '../../src/config/keys.js';

const DIR = new URL('../../deploy/', import.meta.url);
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The schema-checked model class of each kind the manifests use. */
const MODELS: Record<string, new (o: any) => { validate(): void }> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  Namespace, ConfigMap, ServiceAccount, ClusterRole, ClusterRoleBinding, Deployment, DaemonSet, Job, PodDisruptionBudget,
};
/** Credential keys: never in the ConfigMap or a manifest's env, only in Secrets made by hand and the nodes' files. */
const CREDENTIAL_KEYS = ['DB_USER', 'DB_PASSWORD', 'AMQP_URL', 'AMQP_MANAGEMENT_URL'];

function load(file: string): Obj[] {
  return parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((d) => {
    expect(d.errors, `${file}: YAML errors`).to.deep.equal([]);
    return d.toJS() as Obj;
  }).filter((o) => o !== null);
}

const manifestFiles = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const all = manifestFiles.flatMap((f) => load(f).map((o) => ({ file: f, o })));
const kustomization = load('kustomization.yaml')[0]!;
const podSpecs = all.filter(({ o }) => o.spec?.template?.spec).map(({ o }) => ({ name: `${o.kind}/${o.metadata.name}`, pod: o.spec.template.spec }));
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
    const k = kustomization;
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
    // Issue 11: with hostNetwork, health and metrics listen on the node's address only, not on every NIC.
    expect(c.env.find((e: Obj) => e.name === 'HTTP_HOST').valueFrom.fieldRef.fieldPath).to.equal('status.podIP');
    expect(c.livenessProbe.httpGet.host, 'the kubelet probes the pod IP').to.equal(undefined);
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
    expect(mounts['/run/systemd/network']).to.equal('/run/systemd/network');
    expect(c.volumeMounts.find((m: Obj) => m.mountPath === '/sys').readOnly).to.equal(true);
  });

  it('mount the NetworkManager backend\'s folders at the paths its defaults name, each created where the node lacks it', function () {
    const ds = one('DaemonSet', 'multinic-agent');
    const pod = ds.spec.template.spec;
    const c = pod.containers[0];
    const volumes = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v.hostPath]));
    const mounted = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, { ...volumes[m.name], readOnly: m.readOnly ?? false }]));
    const config = one('ConfigMap', 'multinic-config').data;
    const defaults = Object.fromEntries(KEYS.map((k) => [k.env, k.default]));
    // A node has netplan or NetworkManager, not both: every backend folder must mount on either kind of node.
    for (const env of ['NETPLAN_DIR', 'NM_CONNECTIONS_DIR', 'NM_BACKUP_DIR', 'NM_LINK_DIR']) {
      const path = config[env] ?? defaults[env];
      expect(path, env).to.equal(defaults[env]);
      expect(mounted[path], `${env} ${path}`).to.deep.equal({ path, type: 'DirectoryOrCreate', readOnly: false });
    }
    expect(config.AGENT_BACKEND).to.equal('auto');
    // nmcli and ip run on the host through nsenter, which needs the host's PID 1.
    expect(pod.hostPID).to.equal(true);
    expect(defaults.NMCLI_COMMAND).to.deep.include.members(['nsenter', '--target', '1', 'nmcli']);
  });

  it('run two publisher replicas with probes and resources, as non-root, with no Kubernetes token', function () {
    const d = one('Deployment', 'multinic-publisher');
    expect(d.spec.replicas).to.equal(2);
    const pod = d.spec.template.spec;
    expect(pod.automountServiceAccountToken).to.equal(false);
    expect(pod.securityContext.runAsNonRoot).to.equal(true);
    const c = pod.containers[0];
    expect(c.args).to.deep.equal(['publisher']);
    expect(c.env.find((e: Obj) => e.name === 'HTTP_HOST').valueFrom.fieldRef.fieldPath).to.equal('status.podIP');
    expect(c.livenessProbe.httpGet.path).to.equal('/healthz');
    expect(c.readinessProbe.httpGet.path).to.equal('/readyz');
    expect(c.resources.limits).to.have.keys('cpu', 'memory');
  });

  it('grant only nodes get/patch and events create/patch (issue 11: Events on the Node), to the agent only', function () {
    const roles = all.filter(({ o }) => o.kind === 'ClusterRole' || o.kind === 'Role');
    expect(roles).to.have.length(1);
    expect(roles[0]!.o.rules).to.deep.equal([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    const binding = one('ClusterRoleBinding', 'multinic-agent');
    expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'multinic-agent', namespace: 'multinic-system' }]);
    expect(all.filter(({ o }) => o.kind.endsWith('Binding'))).to.have.length(1);
  });

  it('hold no Secret: the kustomization cannot overwrite real credentials', function () {
    expect(all.filter(({ o }) => o.kind === 'Secret')).to.deep.equal([]);
    expect(kustomization.secretGenerator).to.equal(undefined);
    const cm = one('ConfigMap', 'multinic-config');
    expect(Object.keys(cm.data).filter((k) => CREDENTIAL_KEYS.includes(k))).to.deep.equal([]);
    for (const { name, pod } of podSpecs) for (const c of pod.containers) {
      expect((c.env ?? []).map((e: Obj) => e.name).filter((n: string) => CREDENTIAL_KEYS.includes(n)), name).to.deep.equal([]);
    }
  });

  it('set every image through kustomize `images` (one name to override)', function () {
    const images = podSpecs.flatMap(({ pod }) => [...pod.containers, ...(pod.initContainers ?? [])].map((c: Obj) => c.image));
    expect(images.length).to.be.greaterThan(2);
    expect([...new Set(images)]).to.deep.equal(['multinic']);
    const entry = kustomization.images.find((i: Obj) => i.name === 'multinic');
    expect(entry.newName, 'newName').to.be.a('string');
    expect(entry.newTag, 'newTag').to.match(/^\d+\.\d+\.\d+/);
  });

  it('create the namespace first', function () {
    expect(kustomization.resources[0]).to.equal('namespace.yaml');
    expect(load('namespace.yaml').map((o) => o.kind)).to.deep.equal(['Namespace']);
  });

  it('give each agent its own node’s credentials from a read-only host file, not from a shared Secret', function () {
    const pod = one('DaemonSet', 'multinic-agent').spec.template.spec;
    const c = pod.containers[0];
    expect(c.envFrom.filter((e: Obj) => e.secretRef)).to.deep.equal([]);
    const at = c.args.indexOf('--config');
    expect(at, '--config before the command (a global option)').to.be.greaterThan(-1).and.lessThan(c.args.indexOf('agent'));
    const file: string = c.args[at + 1];
    const mount = c.volumeMounts.find((m: Obj) => file.startsWith(`${m.mountPath}/`));
    expect(mount, `a mount holding ${file}`).to.not.equal(undefined);
    expect(mount.readOnly).to.equal(true);
    expect(pod.volumes.find((v: Obj) => v.name === mount.name).hostPath).to.deep.equal({ path: '/etc/multinic', type: 'Directory' });
  });

  it('migrate the schema with a Job as the migrator user, non-root, with no Kubernetes token', function () {
    const job = one('Job', 'multinic-db-migrate');
    const pod = job.spec.template.spec;
    expect(pod.containers[0].args).to.deep.equal(['db', 'migrate']);
    expect(pod.containers[0].envFrom).to.deep.include({ secretRef: { name: 'multinic-migrator-credentials' } });
    expect(pod.restartPolicy).to.equal('OnFailure');
    expect(pod.automountServiceAccountToken).to.equal(false);
    expect(pod.securityContext.runAsNonRoot).to.equal(true);
    expect(job.spec.backoffLimit).to.be.a('number');
    expect(job.spec.ttlSecondsAfterFinished).to.be.a('number');
  });

  it('keep one publisher through drains (PodDisruptionBudget) and spread the replicas over nodes', function () {
    const d = one('Deployment', 'multinic-publisher');
    const labels = d.spec.template.metadata.labels;
    const pdb = one('PodDisruptionBudget', 'multinic-publisher');
    expect(pdb.spec.minAvailable).to.equal(1);
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) expect(labels[k], k).to.equal(v);
    const [term] = d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(term.podAffinityTerm.topologyKey).to.equal('kubernetes.io/hostname');
    for (const [k, v] of Object.entries(term.podAffinityTerm.labelSelector.matchLabels)) expect(labels[k], k).to.equal(v);
    expect(d.spec.template.spec.containers[0].envFrom).to.deep.include({ secretRef: { name: 'multinic-publisher-credentials' } });
  });

  it('use only environment names that are configuration keys', function () {
    const known = new Set(KEYS.map((k) => k.env));
    const used = new Set<string>();
    for (const { o } of all) {
      if (o.kind === 'ConfigMap') Object.keys(o.data ?? {}).forEach((k) => used.add(k));
      for (const c of o.spec?.template?.spec?.containers ?? []) for (const e of c.env ?? []) used.add(e.name);
    }
    expect(used.size).to.be.greaterThan(5);
    expect([...used].filter((n) => !known.has(n))).to.deep.equal([]);
  });
});
