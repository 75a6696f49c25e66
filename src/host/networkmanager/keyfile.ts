/**
 * NetworkManager keyfiles are GLib key files (nm-settings-keyfile(5); GLib "Desktop Entry"
 * key-value format, `g_key_file_load_from_data`), not INI: no quoting, `\s` `\n` `\t` `\r`
 * `\\` escapes, `#` comments only at the start of a line, `key[locale]` variants, and the
 * last of two equal keys wins. The `ini` package reads a different dialect (quotes,
 * `key[]` arrays, `;` comments, dotted sections nested), so this small reader follows GLib.
 */

/** Sections by name, each its keys and (unescaped) values; later duplicates win, as in GLib. */
export type Keyfile = Map<string, Map<string, string>>;

const ESCAPES: Record<string, string> = { s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' };

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (all, c: string) => ESCAPES[c] ?? all);
}

/**
 * Parses a keyfile's text. Blank lines and `#` comments are skipped, as are lines GLib
 * would reject (no `=` outside a group): callers only look values up, and a file NM
 * rejects is reported by NM itself. Localised keys (`key[de]`) are ignored.
 */
export function parseKeyfile(text: string): Keyfile {
  const out: Keyfile = new Map();
  let section: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const group = /^\[([^\]]*)\]\s*$/.exec(line);
    if (group) {
      const name = group[1]!;
      section = out.get(name) ?? new Map();
      out.set(name, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !section) continue;
    const key = line.slice(0, eq).trimEnd();
    if (key.includes('[')) continue;
    section.set(key, unescape(line.slice(eq + 1).trimStart()));
  }
  return out;
}

/** One value, or undefined when the section or key is absent. */
export function keyfileValue(kf: Keyfile, section: string, key: string): string | undefined {
  return kf.get(section)?.get(key);
}
