/**
 * Command-line flags of `npm run bench`, parsed without a dependency so the parsing is a
 * pure function a unit test can check. Defaults are the issue's: 100 nodes x 8 interfaces.
 */

/** Which apply/validation step the agents run (see README: "Benchmarks"). */
export const ApplyMode = {
  /** In-process sandbox apply (renames the fake sysfs NIC), no `netplan generate`: the pipeline's own cost. */
  Noop: 'noop',
  /** The real `netplan generate --root-dir` validation per change, then the same sandbox apply. */
  Netplan: 'netplan',
} as const;
export type ApplyMode = (typeof ApplyMode)[keyof typeof ApplyMode];

export interface BenchOptions {
  nodes: number;
  interfaces: number;
  /** Rows updated per second during the steady trickle. */
  trickleRate: number;
  /** How long the trickle lasts. */
  trickleSeconds: number;
  /** Node counts of the publisher database-load scan (idle and with work). */
  scanNodes: number[];
  /** Seconds each publisher/poller query-rate window lasts. */
  windowSeconds: number;
  /** Agent processes the per-node agents are spread over. */
  agentProcesses: number;
  /** agent.batchSize of the simulated agents (1 = one event at a time, as before batching). */
  batchSize: number;
  /** Apply modes to run, in order. */
  modes: ApplyMode[];
  /** Polling periods of the per-node polling baseline, in seconds. */
  baselinePeriods: number[];
  skipBaseline: boolean;
  skipScan: boolean;
  /** Lab phase: single attaches on an idle lab node, one after another (0..8; 0 skips them). */
  labSingles: number;
  /** Lab phase: nodes of the multi-node burst (each receives 8 attaches at once). */
  labNodes: number;
  /** Skip the lab phase (it needs root and the lab's packages, src/lab/README.md). */
  skipLab: boolean;
  /** Run only the lab phase. */
  labOnly: boolean;
  /**
   * Nodes of the netplan-mode run (default 10; 0 = all). `netplan generate` costs ~130 ms
   * of CPU per change in its own process: 100 simulated nodes on 2 shared cores would
   * measure this machine's CPU, not a node's pipeline.
   */
  netplanNodes: number;
  /** Write node --cpu-prof profiles of the agent and publisher processes into this directory. */
  cpuProfDir: string | undefined;
  /** Where the JSON results go; default scripts/bench/results. */
  resultsDir: string;
  /** Label added to the results file name (e.g. "quick"). */
  label: string | undefined;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  nodes: 100,
  interfaces: 8,
  trickleRate: 50,
  trickleSeconds: 10,
  scanNodes: [10, 100, 1000],
  windowSeconds: 5,
  agentProcesses: 4,
  batchSize: 32,
  modes: [ApplyMode.Noop, ApplyMode.Netplan],
  baselinePeriods: [30, 1],
  skipBaseline: false,
  skipScan: false,
  labSingles: 8,
  labNodes: 10,
  skipLab: false,
  labOnly: false,
  netplanNodes: 10,
  cpuProfDir: undefined,
  resultsDir: 'scripts/bench/results',
  label: undefined,
};

/** The quick variant (`npm run bench:quick`): same phases, small sizes. */
export const QUICK_ARGS = ['--nodes', '10', '--interfaces', '4', '--scan-nodes', '10,100', '--window', '3', '--trickle-seconds', '5', '--trickle-rate', '20', '--baseline-periods', '5,1', '--agent-processes', '2', '--lab-singles', '3', '--lab-nodes', '3', '--label', 'quick'];

export const USAGE = `usage: npm run bench -- [flags]
  --nodes N               nodes (1..1000, default 100)
  --interfaces M          interfaces per node (1..10, default 8)
  --trickle-rate R        rows updated per second in the trickle (default 50)
  --trickle-seconds S     trickle duration (default 10)
  --scan-nodes a,b,c      node counts of the publisher DB-load scan (default 10,100,1000)
  --window S              seconds per query-rate window (default 5)
  --agent-processes P     processes the agents are spread over (default 4)
  --batch-size B          agent.batchSize of the agents (default 32; 1 = one event at a time)
  --modes noop,netplan    apply modes to run (default both)
  --netplan-nodes K       run the netplan mode on the first K nodes only (default 10; 0 = all)
  --baseline-periods a,b  per-node polling periods in seconds (default 30,1)
  --skip-baseline         do not run the per-node polling baseline
  --skip-scan             do not run the publisher DB-load scan
  --lab-singles K         lab phase: single attaches on an idle node (0..8, default 8)
  --lab-nodes N           lab phase: nodes of the multi-node burst of 8 each (1..50, default 10)
  --skip-lab              do not run the lab phase (real NICs; needs root)
  --lab-only              run only the lab phase
  --cpu-prof DIR          write CPU profiles of the agent and publisher processes to DIR
  --results-dir DIR       where the JSON goes (default scripts/bench/results)
  --label NAME            appended to the results file name
  --quick                 small sizes, for a smoke run`;

function intIn(flag: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (v === undefined || !/^\d+$/.test(v) || n < min || n > max) throw new Error(`${flag} expects an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function intList(flag: string, v: string | undefined, min: number, max: number): number[] {
  if (v === undefined || v === '') throw new Error(`${flag} expects a comma-separated list`);
  return v.split(',').map((p) => intIn(flag, p.trim(), min, max));
}

/** Parses the flags after `npm run bench --`; throws an Error naming the bad flag. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  const args = argv.includes('--quick') ? [...QUICK_ARGS, ...argv.filter((a) => a !== '--quick')] : [...argv];
  const o: BenchOptions = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = () => args[++i];
    switch (flag) {
      case '--help': case '-h': return 'help';
      case '--nodes': o.nodes = intIn(flag, value(), 1, 1000); break;
      case '--interfaces': o.interfaces = intIn(flag, value(), 1, 10); break;
      case '--trickle-rate': o.trickleRate = intIn(flag, value(), 1, 5000); break;
      case '--trickle-seconds': o.trickleSeconds = intIn(flag, value(), 0, 600); break;
      case '--scan-nodes': o.scanNodes = intList(flag, value(), 1, 1000); break;
      case '--window': o.windowSeconds = intIn(flag, value(), 1, 600); break;
      case '--agent-processes': o.agentProcesses = intIn(flag, value(), 1, 64); break;
      case '--batch-size': o.batchSize = intIn(flag, value(), 1, 1000); break;
      case '--netplan-nodes': o.netplanNodes = intIn(flag, value(), 0, 1000); break;
      case '--baseline-periods': o.baselinePeriods = intList(flag, value(), 1, 600); break;
      case '--skip-baseline': o.skipBaseline = true; break;
      case '--skip-scan': o.skipScan = true; break;
      case '--lab-singles': o.labSingles = intIn(flag, value(), 0, 8); break;
      case '--lab-nodes': o.labNodes = intIn(flag, value(), 1, 50); break;
      case '--skip-lab': o.skipLab = true; break;
      case '--lab-only': o.labOnly = true; break;
      case '--cpu-prof': o.cpuProfDir = value(); if (!o.cpuProfDir) throw new Error('--cpu-prof expects a directory'); break;
      case '--results-dir': o.resultsDir = value() ?? ''; if (!o.resultsDir) throw new Error('--results-dir expects a directory'); break;
      case '--label': o.label = value(); if (!o.label || !/^[\w.-]+$/.test(o.label)) throw new Error('--label expects letters, digits, ".", "-", "_"'); break;
      case '--modes': {
        const modes = (value() ?? '').split(',').map((m) => m.trim());
        const bad = modes.find((m) => !Object.values(ApplyMode).includes(m as ApplyMode));
        if (bad !== undefined || modes.length === 0) throw new Error(`--modes expects noop and/or netplan, got ${JSON.stringify(bad ?? '')}`);
        o.modes = modes as ApplyMode[];
        break;
      }
      default: throw new Error(`unknown flag ${JSON.stringify(flag)}\n${USAGE}`);
    }
  }
  if (o.skipLab && o.labOnly) throw new Error('--skip-lab and --lab-only exclude each other');
  if (o.netplanNodes > o.nodes) o.netplanNodes = o.nodes;
  o.agentProcesses = Math.min(o.agentProcesses, o.nodes);
  return o;
}
