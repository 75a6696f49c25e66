import { PermanentError, TransientError } from '../errors/errors.js';

/**
 * HTTP statuses of the Kubernetes API worth retrying: conflict, throttling, server
 * errors, and 401 (a projected service-account token is being rotated; the client
 * re-reads the token file). Everything else in 4xx (400 bad patch, 403 RBAC, 404 no such
 * Node, 415, 422 invalid value) will fail the same way next time.
 */
const retryable = (status: number): boolean => status === 401 || status === 409 || status === 429 || status >= 500;

/** Longest piece of the API server's own message carried into ours. */
const MAX_REASON = 200;

/**
 * Turns whatever the Kubernetes client threw into our hierarchy, so `classify()` needs no
 * knowledge of the client's error shapes: a status the API answered, a timeout, or a
 * connection failure. The message names the node, the operation and the status — never
 * the request headers, so never the token; the original stays in `cause`.
 */
export function kubeError(err: unknown, what: string, timeoutMs: number): PermanentError | TransientError {
  const status = httpStatusOf(err);
  if (status !== undefined) {
    const reason = serverMessage(err);
    const message = `Kubernetes API answered ${status} to ${what}${reason ? `: ${reason}` : ''}`;
    return retryable(status) ? new TransientError(message, { cause: err }) : new PermanentError(message, { cause: err });
  }
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new TransientError(`Kubernetes API did not answer ${what} within ${timeoutMs} ms`, { cause: err });
  }
  return new TransientError(`Kubernetes API unreachable for ${what}: ${networkReason(err)}`, { cause: err });
}

/** The client's ApiException carries the HTTP status in a numeric `code`. */
export function httpStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/** The `message` of a Kubernetes Status body, whether the client parsed it or not. */
function serverMessage(err: unknown): string {
  let body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // A proxy's HTML error page, say: not worth quoting.
      return '';
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? flatten(message) : '';
}

/** undici wraps the socket error: `TypeError: fetch failed` with `cause.code` ECONNREFUSED etc. */
function networkReason(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++, e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? code : String((e as Error).message ?? e));
  }
  return flatten(parts.join(' <- ') || String(err));
}

function flatten(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_REASON);
}
