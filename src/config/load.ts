import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors/errors.js';
import { KEYS, type KeySpec } from './keys.js';
import { ConfigSchema, type Config } from './schema.js';

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined || next === null) node[part] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) {
      throw new ConfigError(parts.slice(0, parts.indexOf(part) + 1).join('.'), 'expected a mapping');
    }
    node = node[part] as Tree;
  }
  node[parts.at(-1)!] = value;
}

function getPath(tree: Tree, path: string): unknown {
  return path.split('.').reduce<unknown>((n, p) => (n && typeof n === 'object' ? (n as Tree)[p] : undefined), tree);
}

/** Names a key as a person would look for it: `DB_PORT (db.port)`. */
function describeKey(path: string): string {
  const spec = KEYS.find((k) => k.path === path);
  return spec ? `${spec.env} (${spec.path})` : path;
}

/** Reads and parses the YAML file; a missing or malformed file is a ConfigError naming `--config`. */
export function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError('--config', `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('--config', `${file} must hold a YAML mapping`);
  return doc as Tree;
}

export interface LoadOptions {
  /** Path of the YAML file (`--config`); optional. */
  file?: string;
  /** The environment to read; pass `process.env` from the entry point. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags, by dotted path; they win over everything. */
  overrides?: Readonly<Record<string, unknown>>;
}

/**
 * Builds the configuration once at start-up: defaults, then the YAML file, then the
 * environment, then command-line overrides. Throws a ConfigError naming the first bad
 * key (both its environment and YAML names), never echoing a secret's value.
 */
export function loadConfig({ file, env = {}, overrides = {} }: LoadOptions = {}): Config {
  const tree: Tree = {};
  for (const spec of KEYS) {
    const section = spec.path.split('.').slice(0, -1).join('.');
    if (section && getPath(tree, section) === undefined) setPath(tree, section, {});
    if (spec.default !== undefined) setPath(tree, spec.path, spec.default);
  }
  if (file) mergeFile(tree, readConfigFile(file));
  for (const spec of KEYS) {
    const value = env[spec.env];
    // An empty variable usually means "unset" in deployment templates; only keys whose
    // empty value means something (an empty password, "skip validation") take it.
    if (value !== undefined && (value !== '' || spec.emptyAllowed)) setPath(tree, spec.path, value);
  }
  for (const [path, value] of Object.entries(overrides)) if (value !== undefined) setPath(tree, path, value);
  const result = ConfigSchema.safeParse(tree);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  const spec: KeySpec | undefined = KEYS.find((k) => k.path === path);
  const got = spec?.secret ? '' : describeValue(getPath(tree, path));
  const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : `${issue.message}${got}`;
  throw new ConfigError(path ? describeKey(path) : 'config', message);
}

function describeValue(v: unknown): string {
  if (v === undefined) return ' (missing)';
  const text = JSON.stringify(v) ?? String(v);
  return `, got ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function mergeFile(tree: Tree, file: Tree, prefix = ''): void {
  for (const [key, value] of Object.entries(file)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const isSection = value && typeof value === 'object' && !Array.isArray(value) && !KEYS.some((k) => k.path === path);
    if (isSection) mergeFile(tree, value as Tree, path);
    else setPath(tree, path, value);
  }
}
