/**
 * Parses `NETPLAN_APPLY_COMMAND`-style values into an argv that is executed without a
 * shell: a JSON array of strings when the text starts with `[`, otherwise the text
 * split on whitespace. Quotes and `$` have no special meaning. Returns an error string
 * instead of throwing so the config loader can name the key.
 */
export function parseArgv(value: unknown): string[] | string {
  if (Array.isArray(value)) {
    if (value.length === 0) return 'must not be empty';
    if (!value.every((v) => typeof v === 'string' && v.length > 0)) return 'must be an array of non-empty strings';
    if (value.some((v: string) => v.includes('\0'))) return 'must not contain NUL bytes';
    return value as string[];
  }
  if (typeof value !== 'string') return 'must be a string or an array of strings';
  const text = value.trim();
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return `is not a valid JSON array (${(err as Error).message})`;
    }
    return parseArgv(parsed);
  }
  const parts = text.split(/\s+/).filter(Boolean);
  return parts.length ? parseArgv(parts) : 'must not be empty';
}
