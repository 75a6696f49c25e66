import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { promtool, scratchDir } from '../helpers/promtool.js';

const MON = new URL('../../deploy/monitoring/', import.meta.url);
const BASE = new URL('../../deploy/', import.meta.url);
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const yaml = (url: URL): Obj[] => parseAllDocuments(readFileSync(url, 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean);

const kustomization = yaml(new URL('kustomization.yaml', MON))[0]!;
const objects = (kustomization.resources as string[]).flatMap((f) => yaml(new URL(f, MON)));
const dashboard = JSON.parse(readFileSync(new URL('grafana-dashboard.json', MON), 'utf8')) as Obj;
const panels: Obj[] = dashboard.panels.filter((p: Obj) => p.type !== 'row');
const dashboardExprs: string[] = panels.flatMap((p) => p.targets.map((t: Obj) => t.expr as string));
const ruleExprs: string[] = yaml(new URL('prometheus-rule.yaml', MON))[0]!.spec.groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.expr as string));

/**
 * The metric names the rules and the dashboard may use: MultiNIC's (issue 16; the
 * implementation follows these), Node.js/process defaults (prom-client), Prometheus's `up`
 * and kube-state-metrics'. A histogram also has _bucket, _sum and _count series.
 */
const HISTOGRAMS = ['multinic_handler_duration_seconds', 'multinic_apply_duration_seconds', 'multinic_row_to_configured_seconds', 'multinic_resync_duration_seconds', 'multinic_publisher_poll_duration_seconds'];
const MULTINIC = [
  ...HISTOGRAMS, 'multinic_build_info', 'multinic_events_total', 'multinic_retries_total', 'multinic_dead_letters_total', 'multinic_interfaces_configured',
  'multinic_resync_runs_total', 'multinic_last_success_timestamp_seconds', 'multinic_publisher_events_published_total', 'multinic_publisher_is_leader',
  'multinic_publisher_pending_rows', 'multinic_publisher_oldest_pending_row_age_seconds', 'multinic_publisher_publish_failures_total', 'multinic_publisher_malformed_rows_total',
  // Issue 13 (isolation, no pile-up, unknown nodes) and issue 12 (node identity).
  'multinic_publisher_unusable_node_queues', 'multinic_publisher_rows_waiting', 'multinic_publisher_resends_skipped_queued_total',
  'multinic_publisher_resends_skipped_failed_total', 'multinic_rows_unaccounted',
];
const OTHERS = ['up', 'process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds', 'kube_daemonset_status_desired_number_scheduled', 'kube_daemonset_status_number_available'];
const KNOWN = new Set([...MULTINIC, ...OTHERS, ...HISTOGRAMS.flatMap((h) => ['_bucket', '_sum', '_count'].map((s) => h + s))]);

/** Metric names in a PromQL expression: every identifier right before a `{` selector. */
const metricsIn = (expr: string) => [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!);
/** Grafana's variables replaced by values, so the expression is plain PromQL. */
const plain = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h').replaceAll('$node', '.*');

describe('deploy/monitoring overlay and Grafana dashboard', function () {
  it('holds a PodMonitor, the PrometheusRule and the dashboard ConfigMap, each schema-valid', function () {
    expect(objects.map((o) => o.kind).sort()).to.deep.equal(['PodMonitor', 'PrometheusRule']);
    for (const o of objects) {
      const Model = o.kind === 'PodMonitor' ? PodMonitor : PrometheusRule;
      expect(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name}`).to.not.throw();
      expect(o.metadata.namespace).to.equal('multinic-system');
    }
    const broken = structuredClone(objects.find((o) => o.kind === 'PodMonitor')!);
    broken.spec.podMetricsEndpoints = 'http';
    expect(() => new PodMonitor(broken as never).validate(), 'the validation can fail').to.throw();
    const [gen] = kustomization.configMapGenerator;
    expect(gen.options.labels.grafana_dashboard).to.equal('1');
    for (const f of gen.files) expect(existsSync(new URL(f, MON)), f).to.equal(true);
  });

  it('scrapes the publisher and every agent on their `http` port, with the job names the rules use', function () {
    const pm = objects.find((o) => o.kind === 'PodMonitor')!;
    const workloads = [...yaml(new URL('publisher.yaml', BASE)), ...yaml(new URL('agent.yaml', BASE))];
    const [endpoint] = pm.spec.podMetricsEndpoints;
    const [selector] = pm.spec.selector.matchExpressions;
    for (const w of workloads) {
      const labels = w.spec.template.metadata.labels;
      expect(selector.values, w.metadata.name).to.include(labels[selector.key]);
      expect(labels[pm.spec.jobLabel], 'job label').to.be.oneOf(['multinic-publisher', 'multinic-agent']);
      expect(w.spec.template.spec.containers[0].ports.map((p: Obj) => p.name), w.metadata.name).to.include(endpoint.port);
    }
    expect(endpoint.relabelings).to.deep.include({ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node', action: 'replace' });
  });

  it('uses only known metric names, and shows every MultiNIC metric somewhere', function () {
    const used = new Set([...dashboardExprs, ...ruleExprs].flatMap(metricsIn));
    expect([...used].filter((m) => !KNOWN.has(m))).to.deep.equal([]);
    const shown = new Set([...used].map((m) => m.replace(/_(bucket|sum|count)$/, '')));
    expect(MULTINIC.filter((m) => !shown.has(m))).to.deep.equal([]);
  });

  it('is a Grafana dashboard with a Prometheus datasource variable, unique panel ids and a 24-column grid', function () {
    expect(dashboard.uid).to.equal('multinic');
    expect(dashboard.templating.list.map((v: Obj) => v.type)).to.include('datasource');
    const ids = dashboard.panels.map((p: Obj) => p.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w, p.title).to.be.at.most(24);
    for (const p of panels) expect(p.targets.length, p.title).to.be.greaterThan(0);
  });

  it('has panel queries that are valid PromQL (promtool checks them as recording rules)', async function () {
    this.timeout(60_000);
    const dir = await scratchDir('dp-dash-');
    try {
      const rules = panels.flatMap((p) => p.targets.map((t: Obj) => ({ record: `dashboard:panel_${p.id}_${t.refId}`, expr: plain(t.expr) })));
      await dir.write('dashboard.rules.yaml', stringify({ groups: [{ name: 'dashboard', rules }] }));
      const { code, output } = await promtool(['check', 'rules', 'dashboard.rules.yaml'], dir.path);
      expect(code, output).to.equal(0);
      expect(output).to.match(new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      await dir.remove();
    }
  });

  it('parses its own kustomization (resources listed exist)', function () {
    for (const f of kustomization.resources) expect(existsSync(new URL(f, MON)), f).to.equal(true);
    expect(parse(readFileSync(new URL('kustomization.yaml', MON), 'utf8')).namespace).to.equal('multinic-system');
  });
});
