const SECRET_KEY = /pass(word)?|secret|token|credential|authorization|cookie/i;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]+):([^\s@/]*)@/gi;

/** Masks the password part of any `scheme://user:password@host` in a string. */
export function redactText(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:***@');
}

/**
 * Returns a copy of a log record with credentials removed: values under keys that name
 * a secret become `***`, and URL passwords inside any string are masked. Cycles and
 * depth are bounded so a hostile object cannot hang the logger.
 */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[…]';
  seen.add(value);
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack && redactText(value.stack), code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '' ? '***' : redact(v, depth + 1, seen);
  }
  return out;
}
