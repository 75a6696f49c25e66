import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError, HostTransientError } from '../../errors/errors.js';

/** Default bound on one `netplan generate` run; it normally takes well under a second. */
export const DEFAULT_GENERATE_TIMEOUT_MS = 30_000;

/** Inputs of validateWithNetplan. */
export interface ValidateOptions {
  /** Path of the netplan binary (`/usr/sbin/netplan`); '' skips validation entirely. */
  generateCommand: string;
  /** The complete candidate /etc/netplan: base name → content, ours and others'. */
  files: Map<string, Buffer | string>;
  /** Default DEFAULT_GENERATE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Where the scratch root is created; default os.tmpdir(). */
  tmpDir?: string;
}

/** What netplan would hand to systemd-networkd: base name → content of run/systemd/network/*. */
export interface GenerateResult {
  networkd: Record<string, string>;
}

const SAFE_FILE = /^[^/\0]+\.yaml$/;

interface ExecOutcome {
  /** Spawn error (ENOENT, EACCES), if the command could not start. */
  spawnError?: NodeJS.ErrnoException;
  timedOut: boolean;
  code: number | null;
  stderr: string;
}

/**
 * Runs argv without a shell in its own process group. `netplan` is a Python wrapper
 * that runs /usr/libexec/netplan/generate: execFile's timeout would kill only the
 * wrapper, and its callback would then wait for the orphan holding our pipes. Killing
 * the whole group on timeout ends both.
 */
function run(command: string, args: string[], timeoutMs: number): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const child = spawn(command, args, { shell: false, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (b: Buffer) => {
      // netplan's diagnostics are a few lines; bound memory against a runaway command.
      if (stderrBytes < 64 * 1024) stderr.push(b);
      stderrBytes += b.length;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ spawnError, timedOut, code, stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

/**
 * netplan's own diagnosis, with the scratch root stripped so that paths read as the
 * file names an operator knows: the `file:line:col: reason` lines when there are any,
 * otherwise the first lines of stderr.
 */
export function describeGenerateFailure(stderr: string, root: string): string {
  const text = stderr.split(`${join(root, 'etc', 'netplan')}/`).join('').split(root).join('');
  const lines = text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  const located = lines.filter((l) => /^[^\s:]+:\d+:\d+: /.test(l));
  return (located.length > 0 ? located : lines.slice(0, 5)).join('; ') || 'no diagnostic on stderr';
}

async function readNetworkd(root: string): Promise<Record<string, string>> {
  const dir = join(root, 'run', 'systemd', 'network');
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Record<string, string> = {};
  for (const name of names.sort()) out[name] = await readFile(join(dir, name), 'utf8');
  return out;
}

/**
 * Validates a candidate netplan configuration with the real `netplan generate` before
 * anything touches the host: writes all `files` (mode 0600) into `<scratch>/etc/netplan`,
 * runs `<generateCommand> generate --root-dir <scratch>` as an argv (no shell) with a
 * timeout that kills its whole process group, and returns the systemd-networkd files it produced. A rejected configuration
 * throws HostError carrying netplan's `file:line:col: reason` lines; a missing binary
 * throws HostError naming it; a timeout throws HostTransientError. The scratch root is
 * always removed. With `generateCommand` '' it validates nothing and returns no files.
 */
export async function validateWithNetplan(opts: ValidateOptions): Promise<GenerateResult> {
  if (opts.generateCommand === '') return { networkd: {} };
  for (const name of opts.files.keys()) {
    if (!SAFE_FILE.test(name)) throw new HostError(`refusing to validate netplan file name ${JSON.stringify(name)}`);
  }
  const root = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'multinic-netplan-'));
  try {
    const etc = join(root, 'etc', 'netplan');
    await mkdir(etc, { recursive: true, mode: 0o700 });
    for (const [name, content] of opts.files) await writeFile(join(etc, name), content, { mode: 0o600 });
    const timeoutMs = opts.timeoutMs ?? DEFAULT_GENERATE_TIMEOUT_MS;
    const result = await run(opts.generateCommand, ['generate', '--root-dir', root], timeoutMs);
    if (result.spawnError) {
      throw new HostError(`netplan generate command ${JSON.stringify(opts.generateCommand)} cannot be run (${result.spawnError.code}): install netplan.io or set the generate command`, { cause: result.spawnError });
    }
    if (result.timedOut) throw new HostTransientError(`netplan generate did not finish within ${timeoutMs} ms and was killed`);
    if (result.code !== 0) throw new HostError(`netplan rejected the configuration: ${describeGenerateFailure(result.stderr, root)}`);
    return { networkd: await readNetworkd(root) };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
