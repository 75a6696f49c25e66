import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseDuration } from '../config/index.js';
import { createRingLogger, formatText } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import { formatReport, streamProgress } from './output.js';
import { runDemo } from './run.js';
import { DEFAULT_ADMIN_ACCESS, type AdminAccess } from './services.js';

/** What the CLI hands over: flags, the environment, and where to write. */
export interface DemoCommandInput {
  flags: { keep?: boolean; json?: boolean; sandbox?: boolean; backend?: string; timeout: string };
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** Aborted by the CLI on SIGINT / SIGTERM. */
  signal: AbortSignal;
}

const USER_DB_KEYS = ['DB_HOST', 'DB_PORT', 'DB_SOCKET', 'DB_USER', 'DB_PASSWORD', 'DB_NAME'];

/** Administrator access from DEMO_* variables, defaults for the rest. */
export function adminAccessFrom(env: NodeJS.ProcessEnv): AdminAccess {
  const d = DEFAULT_ADMIN_ACCESS;
  const host = env.DEMO_DB_ADMIN_HOST;
  const port = Number(env.DEMO_DB_ADMIN_PORT ?? d.dbTcp.port);
  return {
    db: host
      ? { host, port, user: env.DEMO_DB_ADMIN_USER ?? 'root', password: env.DEMO_DB_ADMIN_PASSWORD ?? '' }
      : { socketPath: env.DEMO_DB_ADMIN_SOCKET ?? (d.db as { socketPath: string }).socketPath, user: env.DEMO_DB_ADMIN_USER ?? 'root' },
    dbTcp: { host: host ?? d.dbTcp.host, port },
    managementUrl: env.DEMO_AMQP_ADMIN_URL ?? d.managementUrl,
    amqpHost: env.DEMO_AMQP_HOST ?? d.amqpHost,
  };
}

/**
 * Runs `multinic demo` and returns the exit code: 0 done, 1 failed (a missing service,
 * a timeout, a role that failed; the reason on stderr with the last warnings), 130
 * interrupted. Progress goes to stderr so `--json` output stays parseable.
 */
export async function runDemoCommand({ flags, env, cwd, out, err, signal }: DemoCommandInput): Promise<number> {
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined) {
    err.write(`multinic demo: --timeout: expected a duration such as 30s or 2m, got ${JSON.stringify(flags.timeout)}\n`);
    return 2;
  }
  const backend = flags.backend ?? 'netplan';
  if (backend !== 'netplan' && backend !== 'networkmanager') {
    err.write(`multinic demo: --backend: expected netplan or networkmanager, got ${JSON.stringify(flags.backend)}\n`);
    return 2;
  }
  const useDb = USER_DB_KEYS.some((k) => env[k] !== undefined) ? loadConfig({ env }).db : undefined;
  const ring = createRingLogger('multinic-demo', 5000);
  try {
    const report = await runDemo({
      keep: Boolean(flags.keep),
      sandbox: Boolean(flags.sandbox),
      backend,
      timeoutMs,
      access: adminAccessFrom(env),
      useDb,
      useAmqpUrl: env.AMQP_URL,
      path: env.PATH ?? '',
      cwd,
      binPath: fileURLToPath(new URL('../../bin/multinic.js', import.meta.url)),
      progress: streamProgress(err),
      log: ring.log,
      signal,
      randomId: () => randomBytes(4).toString('hex'),
      randomPassword: () => randomBytes(18).toString('base64url'),
    });
    out.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, cwd));
    return 0;
  } catch (e) {
    const warnings = ring.records().filter((r) => (r.level as number) >= 40).slice(-10);
    if (warnings.length) err.write(`last warnings and errors:\n${warnings.map((r) => `  ${formatText(r)}`).join('')}`);
    err.write(`multinic demo: ${redactText((e as Error).message)}\n`);
    return signal.aborted ? 130 : 1;
  }
}
