/** Most brokers one list may name; a RabbitMQ cluster has an odd handful of nodes. */
export const MAX_BROKER_URLS = 16;

/**
 * Parses a list of brokers of one RabbitMQ cluster, as `AMQP_URL` or `AMQP_MANAGEMENT_URL`
 * are written: one URL, several separated by commas (`amqp://u:p@h1:5672/v,amqp://u:p@h2:5672/v`),
 * or, in the YAML file, a sequence of strings. Each entry must be a URL of one of
 * `protocols` with a host and no fragment; empty entries, repeats, and entries that differ
 * in vhost (the URL's path) or credentials are refused, because clients fail over between
 * the entries as if they were one broker (users, vhosts and queues are cluster-wide).
 * A comma inside a password must be percent-encoded (`%2C`), as any reserved character.
 *
 * Returns the trimmed URLs in the given order, or an error string for the config loader,
 * which adds the key's name. An error names entries by position only, never by content:
 * a mis-split password must not reach a log.
 */
export function parseBrokerUrls(value: unknown, protocols: readonly string[]): string[] | string {
  const entries = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) return 'expected a URL, a comma-separated list of URLs or a list of strings';
  if (entries.length === 0) return 'must not be empty';
  if (entries.length > MAX_BROKER_URLS) return `names ${entries.length} brokers; at most ${MAX_BROKER_URLS}`;
  const urls = (entries as string[]).map((e) => e.trim());
  const of = (i: number) => (urls.length > 1 ? `entry ${i + 1} of ${urls.length}: ` : '');
  const expected = `expected a ${protocols.join(' or ')} URL`;
  const parsed: URL[] = [];
  for (const [i, text] of urls.entries()) {
    if (text === '') return urls.length > 1 ? `${of(i)}empty (a stray comma?)` : 'must not be empty';
    // WHATWG URL parsing drops tabs and newlines silently; a broker address never holds them.
    if (/[\s\u0000-\u001f\u007f]/.test(text)) return `${of(i)}contains whitespace or a control character`;
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      return `${of(i)}${expected} (a comma inside a password must be written %2C)`;
    }
    if (!protocols.includes(u.protocol)) return `${of(i)}${expected}`;
    if (!u.hostname) return `${of(i)}names no host`;
    if (u.hash) return `${of(i)}must not have a #fragment`;
    parsed.push(u);
  }
  const first = parsed[0]!;
  const vhost = (u: URL) => (u.pathname === '' ? '/' : u.pathname);
  for (const [i, u] of parsed.entries()) {
    if (parsed.findIndex((p) => p.href === u.href) < i) return `${of(i)}repeats an earlier entry`;
    if (vhost(u) !== vhost(first)) return `${of(i)}names another vhost than entry 1; all brokers of one cluster serve the same vhost`;
    if (u.username !== first.username || u.password !== first.password) return `${of(i)}has other credentials than entry 1; users are cluster-wide`;
    if (u.protocol !== first.protocol) return `${of(i)}uses another protocol than entry 1`;
  }
  return urls;
}
