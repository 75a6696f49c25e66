import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError, HostTransientError } from '../errors/errors.js';

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
  error: (Error & { code?: string | number; killed?: boolean; signal?: string }) | null;
  stderr: string;
}

function run(command: string, args: string[], timeoutMs: number): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      resolve({ error: error as ExecOutcome['error'], stderr: String(stderr) });
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
 * runs `<generateCommand> generate --root-dir <scratch>` through execFile (no shell) with
 * a timeout, and returns the systemd-networkd files it produced. A rejected configuration
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
    const { error, stderr } = await run(opts.generateCommand, ['generate', '--root-dir', root], timeoutMs);
    if (error) {
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        throw new HostError(`netplan generate command ${JSON.stringify(opts.generateCommand)} cannot be run (${error.code}): install netplan.io or set the generate command`, { cause: error });
      }
      if (error.killed) throw new HostTransientError(`netplan generate timed out after ${timeoutMs} ms`, { cause: error });
      throw new HostError(`netplan rejected the configuration: ${describeGenerateFailure(stderr, root)}`, { cause: error });
    }
    return { networkd: await readNetworkd(root) };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
