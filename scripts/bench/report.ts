import type { SingleAgentFigures } from './phases/footprint.js';
import type { PipelineFigures } from './phases/pipeline.js';
import type { ScanPoint } from './phases/scan.js';
import type { BaselinePoint } from './phases/baseline-phase.js';
import type { LabFigures } from './phases/lab-phase.js';
import { formatTable, ratio, type LatencySummary } from './stats.js';

export interface BenchResults {
  /** One `multinic agent` process alone: compiled (as the image runs it) and from the sources. */
  single: SingleAgentFigures[];
  pipelines: PipelineFigures[];
  scan: ScanPoint[];
  baseline: BaselinePoint[];
  /** The lab phase (real NICs, real `netplan apply`); null when skipped. */
  lab: LabFigures | null;
}

/** How each figure was measured; written into the JSON next to the figures. */
export const METHODS = {
  latency: 'per row version: commit time = when the harness\'s autocommit INSERT/UPDATE returned; end = when the agent\'s write-back of netplan_success=1 for that (port, generation) returned (timestamped inside the agent process, same clock); hdr-histogram-js, 3 significant digits',
  throughput: 'rows configured / (last write-back - first commit) of the phase',
  burst: 'every row INSERTed pending at once (multi-row INSERTs of 1000)',
  trickle: 'rows moved to a new address one UPDATE at a time at the given rate (each row at most once)',
  agents: 'real agent parts per node (NetplanHost over its own temp netplan dir + fake sysfs with its MACs, queue trigger on multinic.node.<node>, handleInterfaceEvent, resyncNode at start, serializer, SequelizeInterfaceStore, log-mode Node patcher); many agents per process sharing one Sequelize pool (8) and one AMQP connection (a channel per node)',
  applyNoop: 'apply = in-process sandbox apply (renames the fake sysfs NIC, no spawn); generateCommand "" (no netplan generate)',
  applyNetplan: 'the real `netplan generate --root-dir` validation of the whole candidate netplan dir per change (a process per change), then the same sandbox apply; on --netplan-nodes nodes (default 10), since 100 nodes\' netplan processes on 2 cores measure the CPU, not a node',
  roots: 'agent netplan/backup/sysfs roots on tmpfs (/dev/shm) when present: each real node fsyncs its own disk; agent processes get UV_THREADPOOL_SIZE = 4 x their agents (a real agent has its own pool of 4)',
  publisher: 'pipeline phases: the real `multinic publisher` process (bin/multinic.js, tsx), poll interval = its default publisher.pollInterval (250 ms since issue 14; 1 s before), its own DB user and lock name',
  scan: 'publisher DB-load scan: the publisher\'s real poll (pollOnce), SQL adapters and MySQL lock leadership composed as startPublisher does, with a broker stub that confirms at once (no 1000 quorum queues on the shared RabbitMQ; the broker issues no SQL). idle = every row configured; with work = every row pending, no agents consuming',
  dbQueries: 'MariaDB USER_STATISTICS (SET GLOBAL userstat=1): SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS of the role\'s own DB user over the window, divided by the window; the publisher\'s figure includes its lock checks',
  baseline: 'N simulated per-node pollers (random phase) running the old agent\'s query (the node\'s pending rows joined with the subnet) every T s on their own connections (at most 50; more pollers share them); latency = row commit -> first poll that returns it',
  applies: 'applies per node = sandbox applies each node ran between the phase\'s first write and 400 ms after its last write-back (the agents report their counts every 250 ms); mean and max over the nodes',
  batch: 'agents run with agent.batchSize (default 32) and agent.batchLinger 5 ms: the events already waiting on a node\'s queue are handled as one batch (one validation, one apply, one Node patch), each settled on its own',
  agentRss: 'process.memoryUsage().rss of the agent processes, summed, divided by the agents they host; idle = 2 s after all consume; peak = highest 250 ms sample during the burst. Single agent: /proc/<pid>/status VmRSS of one `multinic agent` process after it idled 5 s; compiled and tsx in kube.mode=log without NODE_OPTIONS (as before), then compiled with the image\'s NODE_OPTIONS in kube.mode=log and kube.mode=api (the real @kubernetes/client-node against a stand-in API server answering 200)',
  lab: 'network lab (src/lab): a node per simulated node (network + mount namespaces, real systemd-networkd, primary ens3 by a foreign 50-cloud-init.yaml), 8 veth NICs per node with the fixture\'s MACs plugged DOWN before the agents start; agents as above but acting on their lab node: NETPLAN_DIR = the node\'s /etc/netplan (bind), SYSFS_NET_DIR = /proc/<holder>/root/sys/class/net, real `netplan generate` validation, NETPLAN_APPLY_COMMAND = nsenter into the node + the real `netplan apply`; the real publisher process with its default poll (250 ms)',
  labLatency: 'row -> kernel-configured: commit of the row\'s INSERT -> the `ip -ts monitor` record (in the node\'s namespace, already running) adding the row\'s address to the link carrying the row\'s MAC (tracked by ifindex through the rename); no file is read. At the end `ip -j addr` in each node checks name multinicN, UP and the address (verified)',
  labApplies: 'a counting wrapper around the apply argv in the agent process: every run of exactly NETPLAN_APPLY_COMMAND is counted per node and timed (wall time of nsenter + netplan apply, until it exits)',
  labPrimary: '`ip monitor` records of each node\'s primary NIC (foreign, ens3) from the scenario\'s first write on, mean per node: each `netplan apply` reconfigures every networkd link (src/lab/README.md)',
  labScenarios: 'idle single attach: one row at a time on an otherwise idle node, the next written 1 s after the previous one showed in the kernel; burst 1 x 8 and N x 8: every row of those nodes in one INSERT',
  startToConsuming: 'agent-per-node: from the start of its composition to its consumer registered; single agent: from spawning `multinic agent` to its "consuming" log record',
} as const;

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const lat = (l: LatencySummary) => [ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max)];

/** The results as aligned text tables. */
export function formatResults(r: BenchResults): string {
  const parts: string[] = [];
  const rows: string[][] = [];
  for (const p of r.pipelines) {
    for (const [name, l] of [['burst', p.burst], [`trickle ${p.trickle.ratePerSecond}/s`, p.trickle]] as const) {
      const applies = l.appliesPerNode ? `${l.appliesPerNode.mean} / ${l.appliesPerNode.max}` : '-';
      rows.push([`MultiNIC ${p.mode} ${name} (batch ${p.batchSize ?? 1})`, `${l.configured}/${l.rows}`, ...lat(l.latencyMs), `${l.throughputPerSecond}`, `${l.publisherQps}`, `${l.agentStatementsPerInterface}`, applies]);
    }
  }
  for (const b of r.baseline) {
    rows.push([`per-node polling T=${b.periodSeconds}s`, `${b.seen}/${b.rows}`, ...lat(b.latencyMs), '-', `${b.qps}`, '-', '-']);
  }
  if (rows.length) parts.push(formatTable(['latency: row commit -> configured', 'rows', 'p50', 'p90', 'p99', 'max', 'ifaces/s', 'DB q/s', 'agent q/iface', 'applies/node mean / max'], rows));

  if (r.scan.length) {
    const t30 = r.baseline.find((b) => b.periodSeconds === 30);
    parts.push(
      formatTable(
        ['DB load by node count', 'rows', 'publisher idle q/s', 'publisher work q/s', 'polling T=1s q/s', 'polling T=30s q/s (N/30)', 'T=1s / publisher'],
        r.scan.map((s) => [
          `${s.nodes} nodes`, `${s.rows}`, `${s.publisherIdleQps}`, `${s.publisherWorkQps}`, `${s.pollingT1Qps}`,
          `${Math.round((s.nodes / 30) * 10) / 10}${t30 && t30.nodes === s.nodes ? ` (measured ${t30.qps})` : ''}`,
          `${ratio(s.pollingT1Qps, s.publisherWorkQps) ?? '-'}x`,
        ]),
      ),
    );
  }

  const foot: string[][] = [];
  for (const p of r.pipelines) {
    foot.push([`${p.mode}: ${p.nodes} agents in ${p.agentProcesses} processes`, mib(p.agentMemoryIdle.rssPerAgentBytes), mib(p.agentMemoryPeak.rssPerAgentBytes), `${mib(p.agentMemoryIdle.rssBytes)} / ${mib(p.agentMemoryPeak.rssBytes)}`, `${ms(p.agentStartToConsumingMs.p50)} / ${ms(p.agentStartToConsumingMs.max)}`]);
  }
  for (const s of r.single) {
    const opts = s.runtime.includes('--max-semi') ? ', image NODE_OPTIONS' : '';
    foot.push([`one \`multinic agent\` process (${s.runtime.startsWith('compiled') ? 'compiled' : 'tsx'}, kube.mode=${s.kubeMode ?? 'log'}${opts})`, mib(s.idleRssBytes), '-', mib(s.idleRssBytes), ms(s.startToConsumingMs)]);
  }
  if (foot.length) parts.push(formatTable(['agent footprint', 'RSS/agent idle', 'RSS/agent peak', 'total idle / peak', 'start->consuming p50 / max'], foot));

  for (const p of r.pipelines) {
    const steps = Object.entries(p.agentSteps).sort((a, b) => b[1].meanMs * b[1].count - a[1].meanMs * a[1].count);
    parts.push(formatTable([`agent steps (${p.mode}), mean wall time`, 'calls', 'mean'], steps.map(([k, v]) => [k, `${v.count}`, `${v.meanMs} ms`])));
  }

  if (r.lab) parts.push(formatLab(r.lab));

  const ratios: string[] = [];
  const noop = r.pipelines.find((p) => p.mode === 'noop');
  for (const b of r.baseline) {
    if (!noop) break;
    ratios.push(
      `per-node polling T=${b.periodSeconds}s vs MultiNIC (noop burst): latency p50 ${ratio(b.latencyMs.p50, noop.burst.latencyMs.p50) ?? '-'}x, ` +
        `DB queries/s ${ratio(b.qps, noop.publisherIdleQps) ?? '-'}x the publisher's idle rate`,
    );
  }
  if (ratios.length) parts.push(ratios.join('\n'));
  return parts.join('\n\n');
}

/** The lab phase as a table: latency to the kernel, applies per node, time inside apply. */
export function formatLab(l: LabFigures): string {
  const rows = l.scenarios.map((s) => [
    s.name, `${s.kernelConfigured}/${s.rows}`, `${s.verified}/${s.rows}`, ...lat(s.rowToKernelMs).filter((_, i) => i !== 1), ms(s.rowToWriteBackMs.p50),
    `${s.appliesPerNode.min} / ${s.appliesPerNode.mean} / ${s.appliesPerNode.max}`, `${ms(s.applyMs.p50)} / ${ms(s.applyMs.p99)}`,
    `${ms(s.applyTotalPerNodeMs.mean)} / ${ms(s.applyTotalPerNodeMs.max)}`, `${s.failedApplies}`, `${s.primaryEventsPerNode}`,
  ]);
  const wrong = l.scenarios.flatMap((s) => s.wrong.map((w) => `  ${s.name}: ${w}`));
  return [
    formatTable(
      ['lab: real NICs, real netplan apply', 'in kernel', 'verified', 'row->kernel p50', 'p99', 'max', 'write-back p50', 'applies/node min/mean/max', 'apply p50 / p99', 'in apply/node mean / max', 'failed', 'ens3 events/node'],
      rows,
    ),
    `(${l.versions})`,
    ...(wrong.length ? ['NICs not as expected at the end (ip -j addr):', ...wrong] : []),
  ].join('\n');
}
