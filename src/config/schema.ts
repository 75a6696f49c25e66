import { z } from 'zod';
import { parseArgv } from './argv.js';
import { parseBrokerUrls } from './broker-urls.js';
import { parseDuration } from './duration.js';

const duration = z.unknown().transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 1s, 5m or a number of milliseconds' });
    return z.NEVER;
  }
  return ms;
});

const int = (min: number, max: number) =>
  z.unknown().transform((v, ctx) => {
    const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

const bool = z.unknown().transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|1|yes|on)$/i.test(v.trim())) return true;
  if (typeof v === 'string' && /^(false|0|no|off)$/i.test(v.trim())) return false;
  ctx.addIssue({ code: 'custom', message: 'expected true or false' });
  return z.NEVER;
});

/** A value parsed by a function that returns either the result or an error string. */
const parsedBy = <T extends object>(parse: (v: unknown) => T | string) =>
  z.unknown().transform((v, ctx) => {
    const r = parse(v);
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: r });
      return z.NEVER;
    }
    return r;
  });

const argv = parsedBy(parseArgv);

/** One broker URL or several of one cluster (see parseBrokerUrls); the output is always a list. */
const brokerUrls = (protocols: string[]) => parsedBy((v) => parseBrokerUrls(v, protocols));

/**
 * IP_COMMAND: none ('' or []: no kernel to read), or an argv whose last word is iproute2's
 * `ip` (`ip`, `/usr/sbin/ip`). The words before it are how the host's network namespace is
 * entered; the probes run `ping` and their TCP connect behind the same words
 * (netnsPrefixOf in src/host/kernel.ts).
 */
const ipArgv = parsedBy((v) => {
  const r = v === '' || (Array.isArray(v) && v.length === 0) ? [] : parseArgv(v);
  if (typeof r === 'string' || r.length === 0 || /(^|\/)ip$/.test(r[r.length - 1]!)) return r;
  return `expected an argv ending in the \`ip\` binary (e.g. ["nsenter","--target","1","--net","--","ip"]), got one ending in "${r[r.length - 1]}"`;
});

/** The probe kinds `agent.probes` may list (src/host/probes.ts builds them). */
export const PROBE_NAMES = ['gateway', 'api-server', 'routes'] as const;
const probeList = parsedBy((v) => {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : undefined;
  const names = items?.map((x) => String(x).trim()).filter((x) => x !== '');
  const bad = names?.filter((n) => !(PROBE_NAMES as readonly string[]).includes(n));
  if (!names || bad!.length > 0) return `expected a comma-separated list of ${PROBE_NAMES.join(', ')}${bad?.length ? ` (unknown: ${bad.join(', ')})` : ''}`;
  return [...new Set(names)] as Array<(typeof PROBE_NAMES)[number]>;
});

const str = z.string({ error: 'expected a string' });
const nonEmpty = str.min(1, 'must not be empty');
/** Hostname-ish: what Kubernetes and RabbitMQ routing keys accept; no spaces or slashes. */
const nodeName = str.regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/, 'expected a node name (letters, digits, ".", "-", "_")');

/** The validated configuration; parsing fills every default, so nothing downstream checks for undefined. */
export const ConfigSchema = z.strictObject({
  db: z.strictObject({
    host: nonEmpty,
    port: int(1, 65535),
    socketPath: nonEmpty.optional(),
    user: nonEmpty,
    password: str,
    name: str.regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a database name of letters, digits and _'),
  }),
  amqp: z.strictObject({
    url: brokerUrls(['amqp:', 'amqps:']),
    managementUrl: brokerUrls(['http:', 'https:']),
    maxMessageBytes: int(1024, 16 * 1024 * 1024),
    declareExchanges: bool,
  }),
  node: z.strictObject({
    name: nodeName.optional(),
    dbName: nodeName.optional(),
  }),
  netplan: z.strictObject({
    dir: nonEmpty,
    backupDir: nonEmpty,
    backupKeep: int(1, 1000),
    applyCommand: argv,
    applyMethod: z.enum(['targeted', 'apply'], { error: 'expected targeted or apply' }),
    networkdRunDir: nonEmpty,
    networkctlCommand: argv,
    applyTimeout: duration,
    generateCommand: str,
  }),
  host: z.strictObject({ ipCommand: ipArgv }),
  networkManager: z.strictObject({
    connectionsDir: nonEmpty,
    backupDir: nonEmpty,
    ifcfgDir: nonEmpty,
    linkDir: str,
    nmcliCommand: argv,
    applyTimeout: duration,
  }),
  sysfsNetDir: nonEmpty,
  kube: z.strictObject({
    kubeconfig: nonEmpty.optional(),
    mode: z.enum(['api', 'log'], { error: 'expected api or log' }),
    timeout: duration,
  }),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], { error: 'expected trace, debug, info, warn, error or fatal' }),
    format: z.enum(['json', 'text'], { error: 'expected json or text' }),
  }),
  http: z.strictObject({ port: int(0, 65535), host: nonEmpty }),
  publisher: z.strictObject({
    pollInterval: duration,
    resendAfter: duration,
    batchSize: int(1, 100_000),
    lockName: nonEmpty.max(64).optional(),
    brokerGrace: duration,
    nodeRefresh: duration,
  }),
  agent: z.strictObject({
    backend: z.enum(['auto', 'netplan', 'networkmanager'], { error: 'expected auto, netplan or networkmanager' }),
    resyncInterval: duration,
    nicWait: duration,
    verifyTimeout: duration,
    allowTakeover: bool,
    allowOverlap: bool,
    probes: probeList,
    probeTimeout: duration,
    maxRetries: int(0, 100),
    batchSize: int(1, 1000),
    batchLinger: duration,
  }),
});

/** MultiNIC's configuration after defaults, YAML and environment, validated. */
export type Config = z.output<typeof ConfigSchema>;
