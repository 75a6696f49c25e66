import { connect } from 'node:net';
import type { PROBE_NAMES } from '../config/schema.js';
import { HostError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';
import { runCommand, type CommandRunner } from './command.js';
import type { Kernel, KernelRoute } from './kernel.js';
import { routesGone } from './kernel-check.js';

/**
 * Probe-gated apply, as `netplan try` (netplan-try(8): revert unless confirmed) and
 * kubernetes-nmstate's probes (its NodeNetworkConfigurationPolicy rolls back when the
 * default gateway or the API server stops answering after a change) do it: probes run
 * before an apply; afterwards every probe that passed before must pass again within the
 * probe timeout, or the change is rolled back. Probes run in the host's network namespace
 * behind the words of IP_COMMAND before `ip` (netnsPrefixOf), never through a shell.
 */

/** The probe kinds `agent.probes` may list. */
export type ProbeKind = (typeof PROBE_NAMES)[number];

/** One probe: `check` makes one attempt and resolves true when it passes (never throws). */
export interface Probe {
  kind: ProbeKind;
  /** For logs and the refusal, e.g. `gateway 10.0.0.1`, `api-server 10.96.0.1:443`. */
  name: string;
  check(): Promise<boolean>;
}

/** Reported for every probe attempt that decides something (the metrics subscribe here). */
export interface ProbeObserver {
  result?(e: { kind: ProbeKind; phase: 'before' | 'after'; ok: boolean; seconds: number }): void;
}

/** What the probes need; the root builds it from the configuration. */
export interface ProbeSetup {
  kinds: readonly ProbeKind[];
  /** The host's kernel (IP_COMMAND), read again by the `routes` probe. */
  kernel: Kernel;
  /** argv prefix into the host's network namespace: IP_COMMAND without `ip` (netnsPrefixOf); `[]` this process's own. */
  prefix: readonly string[];
  /** The Kubernetes API server as the agent reaches it (in-cluster env or kubeconfig); none: no api-server probe. */
  apiServer?: { host: string; port: number };
  /** One attempt's bound; default 1 s. */
  attemptTimeoutMs?: number;
  run?: CommandRunner;
  log: Pick<Log, 'debug' | 'warn'>;
}

const succeeds = async (run: CommandRunner, argv: readonly string[], timeoutMs: number, log: ProbeSetup['log']) =>
  run(argv, { timeoutMs: timeoutMs + 1000, log, killGraceMs: 200 }).then(() => true, () => false);

/**
 * A TCP connect in a child `node` (so it runs in the host's namespace under the prefix):
 * exit 0 once connected, 1 on error or after argv[3] ms. Host and port come as argv.
 */
const TCP_CONNECT = `const s=require('net').connect({host:process.argv[1],port:+process.argv[2]},()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),+process.argv[3]);`;

/** The same TCP connect in this process, for an empty prefix. */
function tcpConnects(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => (socket.destroy(), resolve(ok));
    socket.once('connect', () => done(true)).once('error', () => done(false)).once('timeout', () => done(false));
  });
}

/**
 * Builds the configured probes for one change from `routes`, the kernel's main table as it
 * is before the change (the snapshot the kernel verification takes too): one `gateway`
 * probe per default route's gateway (one ICMP echo, `ping -c 1 -W 1`), the `api-server`
 * probe (a TCP connect), and the `routes` probe (no route of an interface outside
 * `ownNames` gone: routesGone, the kernel verification's own comparison). `ownNames`: the
 * NIC being changed and MultiNIC's own interfaces.
 */
export function buildProbes(setup: ProbeSetup, ownNames: readonly string[], routes: readonly KernelRoute[]): Probe[] {
  const { kinds, prefix, log } = setup;
  const run = setup.run ?? runCommand;
  const ms = setup.attemptTimeoutMs ?? 1000;
  const probes: Probe[] = [];
  if (kinds.includes('gateway')) {
    const gateways = [...new Set(routes.filter((r) => r.dst === 'default' && r.gateway).map((r) => r.gateway!))];
    for (const gw of gateways) {
      const argv = [...prefix, 'ping', gw.includes(':') ? '-6' : '-4', '-n', '-q', '-c', '1', '-W', String(Math.max(1, Math.round(ms / 1000))), gw];
      probes.push({ kind: 'gateway', name: `gateway ${gw}`, check: () => succeeds(run, argv, ms, log) });
    }
  }
  if (kinds.includes('api-server') && setup.apiServer) {
    const { host, port } = setup.apiServer;
    const argv = [...prefix, process.execPath, '-e', TCP_CONNECT, host, String(port), String(ms)];
    // Without a prefix the agent already is in the host's namespace (hostNetwork): no child needed.
    const check = prefix.length === 0 ? () => tcpConnects(host, port, ms) : () => succeeds(run, argv, ms, log);
    probes.push({ kind: 'api-server', name: `api-server ${host.includes(':') ? `[${host}]` : host}:${port}`, check });
  }
  if (kinds.includes('routes')) {
    const own = new Set(ownNames);
    const baseline = routes.filter((r) => !(r.dev && own.has(r.dev)));
    probes.push({
      kind: 'routes',
      name: `routes of other interfaces (${baseline.length})`,
      check: async () => routesGone(baseline, (await setup.kernel.read()).routes, ownNames).length === 0,
    });
  }
  return probes;
}

/** After an apply, a probe that passed before it kept failing for the whole probe timeout. */
export class ProbeFailedError extends HostError {
  override name = 'ProbeFailedError';
}

/** Times and observers of {@link runProbes}. */
export interface ProbeRunOptions {
  /** `agent.probeTimeout` (AGENT_PROBE_TIMEOUT, default 5 s): how long after an apply the probes may take to pass. */
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  observer?: ProbeObserver;
  log: Pick<Log, 'info' | 'warn'>;
}

async function attempt(p: Probe, phase: 'before' | 'after', o: ProbeRunOptions): Promise<boolean> {
  const started = o.now();
  const ok = await p.check().catch(() => false);
  o.observer?.result?.({ kind: p.kind, phase, ok, seconds: (o.now() - started) / 1000 });
  return ok;
}

/** Runs every probe once before a change; returns those that passed (only they gate the change). */
export async function probesBefore(probes: readonly Probe[], o: ProbeRunOptions): Promise<Probe[]> {
  const results = await Promise.all(probes.map(async (p) => ({ p, ok: await attempt(p, 'before', o) })));
  const failing = results.filter((r) => !r.ok).map((r) => r.p.name);
  if (failing.length) o.log.warn({ failing }, 'probes failing before the change; they will not gate it');
  return results.filter((r) => r.ok).map((r) => r.p);
}

/**
 * After a change: retries each probe of `passed` (every 200 ms) until all pass, or throws
 * ProbeFailedError naming those still failing once `timeoutMs` is over; the caller's
 * transaction then restores and re-applies the previous configuration.
 */
export async function probesAfter(passed: readonly Probe[], o: ProbeRunOptions): Promise<void> {
  const started = o.now();
  const deadline = started + o.timeoutMs;
  let pending = [...passed];
  for (;;) {
    const results = await Promise.all(pending.map(async (p) => ({ p, ok: await attempt(p, 'after', o) })));
    pending = results.filter((r) => !r.ok).map((r) => r.p);
    if (pending.length === 0) {
      if (passed.length) o.log.info({ probes: passed.map((p) => p.name), ms: o.now() - started }, 'probes pass after the change');
      return;
    }
    if (o.now() >= deadline) {
      throw new ProbeFailedError(`after apply, probe ${pending.map((p) => p.name).join(', ')} failed for ${o.timeoutMs} ms though it passed before (AGENT_PROBE_TIMEOUT)`);
    }
    await o.sleep(Math.min(200, Math.max(0, deadline - o.now())));
  }
}
