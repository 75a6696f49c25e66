import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/index.js';

const BIN = fileURLToPath(new URL('../../bin/multinic.js', import.meta.url));

/** Environment naming a database user, as the deployment passes it (docs/DESIGN.md, Configuration). */
export function dbEnv(db: Config['db']): Record<string, string> {
  return { DB_HOST: db.host, DB_PORT: String(db.port), DB_USER: db.user, DB_PASSWORD: db.password, DB_NAME: db.name };
}

/**
 * A `multinic <command>` child process, exactly as an operator starts it (bin/multinic.js
 * runs the sources through tsx when there is no dist/), its JSON log lines teed to a file
 * and scanned: `waitForLog` resolves at the first record that matches.
 */
export class CliProcess {
  readonly startedAt = Date.now();
  private readonly waiters: Array<{ match: (rec: Record<string, unknown>) => boolean; resolve: (rec: Record<string, unknown>) => void }> = [];
  private exited = false;

  private constructor(readonly child: ChildProcess) {}

  /** `entry` defaults to bin/multinic.js (sources through tsx); a compiled cli/main.js may be given instead. */
  static start(args: string[], env: Record<string, string>, logFile: string, cpuProfDir?: string, entry = BIN): CliProcess {
    const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', join(cpuProfDir, `${args[0]}-${Date.now()}`)] : [];
    const child = spawn(process.execPath, [...nodeArgs, entry, ...args], {
      env: { ...process.env, MULTINIC_FROM_SOURCE: '1', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new CliProcess(child);
    const file = createWriteStream(logFile, { flags: 'a' });
    child.stderr!.pipe(file, { end: false });
    let buf = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      file.write(chunk);
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (p.waiters.length === 0 || !line.startsWith('{')) continue;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        for (const w of [...p.waiters]) {
          if (w.match(rec)) {
            p.waiters.splice(p.waiters.indexOf(w), 1);
            w.resolve(rec);
          }
        }
      }
    });
    child.once('exit', () => {
      p.exited = true;
      file.end();
    });
    return p;
  }

  waitForLog(match: (rec: Record<string, unknown>) => boolean, timeoutMs: number, what: string, logFile: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(async () => {
        const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; log tail:\n${tail}`));
      }, timeoutMs);
      const w = { match, resolve: (rec: Record<string, unknown>) => (clearTimeout(timer), resolve(rec)) };
      this.waiters.push(w);
      this.child.once('exit', (code) => {
        if (!this.waiters.includes(w)) return;
        clearTimeout(timer);
        reject(new Error(`multinic exited with ${code} while waiting for ${what}; see ${logFile}`));
      });
    });
  }

  /** RSS of the process from /proc (Linux), in bytes. */
  async rssBytes(): Promise<number> {
    const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return Number(kb ?? 0) * 1024;
  }

  /** SIGTERM (graceful stop), SIGKILL after `graceMs`. */
  stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      this.child.once('exit', () => (clearTimeout(kill), resolve()));
      this.child.kill('SIGTERM');
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** `multinic publisher` for this run: its own DB user (so its queries are countable), its own lock name. */
export async function startPublisherProcess(opts: { db: Config['db']; amqpUrl: string; lockName: string; logFile: string; cpuProfDir?: string }): Promise<CliProcess> {
  const p = CliProcess.start(
    ['publisher', '--http-port', '0'],
    { ...dbEnv(opts.db), AMQP_URL: opts.amqpUrl, PUBLISHER_LOCK_NAME: opts.lockName, LOG_LEVEL: 'info' },
    opts.logFile,
    opts.cpuProfDir,
  );
  const rec = await p.waitForLog((r) => r.msg === 'serving /healthz, /readyz and /metrics', 60_000, 'the publisher to start', opts.logFile);
  const port = Number(rec.httpPort);
  // Ready = the first cycle finished (lock taken, node queues declared, first poll done).
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) return p;
    if (Date.now() > deadline) {
      p.kill();
      throw new Error(`the publisher did not become ready within 120 s; see ${opts.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
