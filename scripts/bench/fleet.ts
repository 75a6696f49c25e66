import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/index.js';
import type { AgentHostMessage, AgentHostSpec, LabPlace } from './agent-host.js';
import { splitRange } from './fixture.js';
import type { ApplyMode } from './options.js';
import { mergeSteps, type StepTimes } from './timing.js';

const HOST_SCRIPT = fileURLToPath(new URL('./agent-host.ts', import.meta.url));

/** Memory of the agent processes, summed, with the per-agent share. */
export interface FleetMemory {
  processes: number;
  agents: number;
  rssBytes: number;
  rssPerAgentBytes: number;
}

/**
 * The parent's side of the agent processes: forks them (tsx loader, IPC), waits until
 * every agent consumes, collects write-back timestamps by change key, and samples RSS.
 */
export class AgentFleet {
  readonly written = new Map<string, number>();
  readonly startToConsumingMs: number[] = [];
  /** Lab mode: every run of a node's real apply argv (when it started, how long, whether it exited 0). */
  readonly applies: Array<{ node: string; startedAt: number; ms: number; ok: boolean }> = [];
  private readonly rss = new Map<ChildProcess, number>();
  private readonly steps = new Map<ChildProcess, StepTimes>();
  /** Sandbox and lab: applies run so far by node, per process, as of its last 250 ms sample. */
  private readonly appliesSampled = new Map<ChildProcess, Record<string, number>>();
  private peakRss = 0;
  private onWritten: (() => void) | undefined;

  private constructor(
    private readonly children: ChildProcess[],
    readonly agents: number,
  ) {}

  static async start(opts: {
    db: Config['db'];
    amqpUrl: string;
    nodes: number;
    interfaces: number;
    processes: number;
    mode: ApplyMode;
    batchSize: number;
    rootDir: string;
    cpuProfDir?: string;
    logFile: string;
    /** Lab mode: each node's lab place, by node index (see agent-host.ts). */
    lab?: Record<number, LabPlace>;
  }): Promise<AgentFleet> {
    const ranges = splitRange(0, opts.nodes, opts.processes);
    const logFd = openSync(opts.logFile, 'a');
    // A directory per process with Node's default names (pid + thread id): tsx's loader runs
    // in a worker thread whose profile would otherwise overwrite the main thread's.
    const execArgv = (i: number) => ['--import', 'tsx', ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', join(opts.cpuProfDir, `agents-${opts.mode}-${i}`)] : [])];
    const children = ranges.map(([from, to], i) => {
      const spec: AgentHostSpec = { db: opts.db, amqpUrl: opts.amqpUrl, from, to, interfaces: opts.interfaces, mode: opts.mode, rootDir: join(opts.rootDir, opts.lab ? 'lab' : opts.mode), poolMax: 8, lab: opts.lab, batchSize: opts.batchSize };
      // A real agent is a process of its own with libuv's 4 file-system threads; 25 agents
      // sharing one pool of 4 would queue behind each other's fsyncs, which no node does.
      const threads = String(Math.min(128, Math.max(4, 4 * (to - from))));
      return fork(HOST_SCRIPT, [], { execArgv: execArgv(i), env: { ...process.env, UV_THREADPOOL_SIZE: threads, BENCH_AGENT_SPEC: JSON.stringify(spec) }, stdio: ['ignore', logFd, logFd, 'ipc'] });
    });
    closeSync(logFd);
    const fleet = new AgentFleet(children, opts.nodes);
    await Promise.all(children.map((c) => fleet.attach(c)));
    return fleet;
  }

  private attach(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      child.on('message', (m: AgentHostMessage) => {
        switch (m.t) {
          case 'ready':
            this.startToConsumingMs.push(...m.startToConsumingMs);
            this.rss.set(child, m.rss);
            resolve();
            break;
          case 'written':
            for (const [key, at] of m.items) if (!this.written.has(key)) this.written.set(key, at);
            this.onWritten?.();
            break;
          case 'mem':
            this.rss.set(child, m.rss);
            this.steps.set(child, m.steps);
            this.appliesSampled.set(child, m.applies);
            this.peakRss = Math.max(this.peakRss, this.totalRss());
            break;
          case 'apply':
            this.applies.push({ node: m.node, startedAt: m.startedAt, ms: m.ms, ok: m.ok });
            break;
          case 'failed':
            reject(new Error(`agent process failed: ${m.reason}`));
            break;
          default:
            break;
        }
      });
      child.once('exit', (code) => reject(new Error(`agent process exited with ${code} before it was ready (see the agents log)`)));
    });
  }

  private totalRss(): number {
    return [...this.rss.values()].reduce((a, b) => a + b, 0);
  }

  /** RSS now, summed over the processes. */
  memoryNow(): FleetMemory {
    const rss = this.totalRss();
    return { processes: this.children.length, agents: this.agents, rssBytes: rss, rssPerAgentBytes: Math.round(rss / this.agents) };
  }

  /** Highest summed RSS seen since the last reset (sampled every 250 ms). */
  peakMemory(): FleetMemory {
    return { processes: this.children.length, agents: this.agents, rssBytes: this.peakRss, rssPerAgentBytes: Math.round(this.peakRss / this.agents) };
  }

  /** Wall time per agent step, summed over the processes (see timing.ts). */
  stepTimes(): StepTimes {
    const out: StepTimes = {};
    for (const s of this.steps.values()) mergeSteps(out, s);
    return out;
  }

  /** Applies run so far by node, over every process (as of the last 250 ms sample). */
  appliesByNode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.appliesSampled.values()) for (const [node, n] of Object.entries(a)) out.set(node, n);
    return out;
  }

  resetPeak(): void {
    this.peakRss = this.totalRss();
  }

  /** Resolves when every key has a write-back, or after `timeoutMs` (then some keys are missing). */
  waitFor(keys: readonly string[], timeoutMs: number, progress?: (done: number) => void): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        let done = 0;
        for (const k of keys) if (this.written.has(k)) done++;
        progress?.(done);
        if (done === keys.length) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.onWritten = undefined;
        resolve(ok);
      };
      this.onWritten = check;
      check();
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || !c.connected) return resolve();
            const kill = setTimeout(() => c.kill('SIGKILL'), 15_000);
            c.once('exit', () => (clearTimeout(kill), resolve()));
            c.send({ t: 'stop' });
          }),
      ),
    );
  }

  /** Immediate teardown for Ctrl-C. */
  kill(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}
