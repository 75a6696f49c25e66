import { PermanentError, TransientError } from './errors.js';

/** What the queue trigger should do with a message whose handling failed. */
export const Verdict = {
  Retry: 'retry',
  DeadLetter: 'dead-letter',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/**
 * Statuses worth retrying: conflict, throttled, server errors. The same numbers serve
 * AMQP reply codes (403/404/406 are permanent; 5xx such as 541 are not) and Kubernetes
 * HTTP statuses (409/429/5xx retry, 400/404/422 do not).
 */
const RETRYABLE_HTTP = (status: number): boolean => status === 409 || status === 429 || status >= 500;
/** Node/system error codes that mean "the other side went away for now". */
const TRANSIENT_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Sequelize wraps driver errors; these class names always mean a connection problem. */
const TRANSIENT_ERROR_NAMES = new Set([
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeConnectionAcquireTimeoutError',
  'SequelizeConnectionTimedOutError',
  'SequelizeHostNotReachableError',
  'SequelizeTimeoutError',
  'AbortError',
  'TimeoutError',
]);

function numericField(err: object, field: string): number | undefined {
  const v = (err as Record<string, unknown>)[field];
  return typeof v === 'number' ? v : undefined;
}

/** The wrapped error: standard `cause`, or Sequelize's `original`/`parent` (it does not set `cause`). */
function nextInChain(e: object): unknown {
  const { cause, original, parent } = e as { cause?: unknown; original?: unknown; parent?: unknown };
  return cause ?? original ?? parent;
}

/**
 * Maps any thrown value to retry or dead-letter. Our own hierarchy decides first; then
 * well-known shapes from the libraries (AMQP reply `code`, HTTP `statusCode`/`code`,
 * syscall codes, Sequelize connection errors), following `cause` chains (and Sequelize's
 * `original`/`parent`). Anything unrecognised is retried: the delivery limit bounds it,
 * and losing work is worse than retrying it.
 */
export function classify(err: unknown): Verdict {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    if (e instanceof PermanentError) return Verdict.DeadLetter;
    if (e instanceof TransientError) return Verdict.Retry;
    const name = (e as Error).name;
    if (typeof name === 'string' && TRANSIENT_ERROR_NAMES.has(name)) return Verdict.Retry;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_SYSCALL_CODES.has(code)) return Verdict.Retry;
    const status = numericField(e, 'statusCode') ?? (typeof code === 'number' ? code : undefined);
    if (status !== undefined && status >= 400 && status < 600) {
      return RETRYABLE_HTTP(status) ? Verdict.Retry : Verdict.DeadLetter;
    }
    e = nextInChain(e);
  }
  return Verdict.Retry;
}

/** A one-line reason for logs and the `x-multinic-error` header; never multi-line. */
export function reasonOf(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/[\r\n]+/g, ' ').slice(0, 500);
}
