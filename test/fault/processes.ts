import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../helpers/wait.js';

/**
 * A `multinic` role as a real child process (`node bin/multinic.js <role>`), configured
 * through the environment only, as the deployment does. All its output is kept, so the
 * suite can read its health port and grep every log line it ever wrote for secrets.
 */
export class RoleProcess {
  child: ChildProcess | undefined;
  /** Output of every incarnation (a restart appends). */
  output = '';
  httpPort: number | undefined;
  starts = 0;

  constructor(
    readonly label: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    this.starts++;
    this.httpPort = undefined;
    const child = spawn(process.execPath, ['bin/multinic.js', ...this.args], {
      env: { PATH: process.env.PATH ?? '', MULTINIC_FROM_SOURCE: '1', LOG_FORMAT: 'json', LOG_LEVEL: 'info', HTTP_PORT: '0', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (d: Buffer) => {
      const text = d.toString();
      this.output += text;
      const port = /"httpPort":(\d+)/.exec(text)?.[1];
      if (port) this.httpPort = Number(port);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    this.child = child;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** GET /readyz: its status code, or 0 when it does not answer. */
  async readyz(): Promise<number> {
    if (!this.httpPort) return 0;
    return fetch(`http://127.0.0.1:${this.httpPort}/readyz`).then((r) => r.status, () => 0);
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    await waitFor(`${this.label} /readyz 200 (log tail: ${this.output.slice(-600)})`, async () => (await this.readyz()) === 200, { timeoutMs, intervalMs: 200 });
  }

  /** Sends `signal` and resolves on exit. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }
}
