import { constants } from 'node:fs';
import { lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfiguredInterface } from '../../model/ports.js';
import { INTERFACE_NAME } from '../../model/interface-name.js';
import type { OwnedFile } from '../backend.js';
import { META_PREFIX, OWNED_MARKER, fileNameFor } from './render.js';

export type { OwnedFile };
// The atomic write is backend-neutral (src/host/files.ts); re-exported for the netplan tests.
export { writeFileAtomic } from '../files.js';

const OWNED_FILE_NAME = /^90-multinic-multinic\d+\.yaml$/;

/** True for the exact file names MultiNIC writes; anything else in NETPLAN_DIR is someone else's. */
export function isOwnedFileName(file: string): boolean {
  return OWNED_FILE_NAME.test(file);
}

const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';

function asConfiguredInterface(v: unknown): ConfiguredInterface | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const strings = ['name', 'macAddress', 'portId', 'subnetId', 'networkId', 'cidr', 'origin'] as const;
  if (!strings.every((k) => typeof o[k] === 'string')) return undefined;
  if (!isNullableString(o.address)) return undefined;
  if (!(o.mtu === null || Number.isInteger(o.mtu))) return undefined;
  if (!Number.isSafeInteger(o.generation)) return undefined;
  if (!INTERFACE_NAME.test(o.name as string)) return undefined;
  return {
    name: o.name as string,
    macAddress: o.macAddress as string,
    portId: o.portId as string,
    subnetId: o.subnetId as string,
    networkId: o.networkId as string,
    cidr: o.cidr as string,
    address: o.address,
    mtu: o.mtu as number | null,
    generation: o.generation as number,
    origin: o.origin as string,
  };
}

/**
 * Reads back the ConfiguredInterface of a file MultiNIC wrote. A file is ours only when
 * the marker is its exact first line, the second line is a meta line whose JSON has every
 * field with the right type, and (when `file` is given) the meta's name is the one the
 * file name says. Anything else returns undefined: not ours, never touched.
 */
export function parseOwnedFile(text: string, file?: string): ConfiguredInterface | undefined {
  const lines = text.split('\n', 3);
  if (lines.length < 3 || lines[0] !== OWNED_MARKER) return undefined;
  const metaLine = lines[1]!;
  if (!metaLine.startsWith(META_PREFIX)) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(metaLine.slice(META_PREFIX.length));
  } catch {
    return undefined;
  }
  const iface = asConfiguredInterface(meta);
  if (!iface) return undefined;
  if (file !== undefined && fileNameFor(iface.name) !== file) return undefined;
  return iface;
}

/** Interface number of an owned file name, for a numeric (multinic2 before multinic10) order. */
function ordinal(file: string): number {
  return Number(/(\d+)\.yaml$/.exec(file)?.[1] ?? Number.MAX_SAFE_INTEGER);
}

async function readNoFollow(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    // O_NOFOLLOW closes the gap between lstat and open: a symlink swapped in meanwhile fails (ELOOP).
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP' || (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    // No netplan directory means nothing is configured by anyone yet.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Every file in `dir` that MultiNIC owns (see parseOwnedFile), in interface-number order.
 * Symlinks and non-regular files are ignored, never followed: a link named like ours may
 * point at a file we must not treat (or later overwrite) as ours.
 */
export async function readOwnedFiles(dir: string): Promise<OwnedFile[]> {
  const owned: OwnedFile[] = [];
  for (const file of (await listDir(dir)).filter(isOwnedFileName).sort((a, b) => ordinal(a) - ordinal(b))) {
    const path = join(dir, file);
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    const content = await readNoFollow(path);
    if (!content) continue;
    const iface = parseOwnedFile(content.toString('utf8'), file);
    if (iface) owned.push({ file, path, content, iface });
  }
  return owned;
}

/**
 * Every `*.yaml` in `dir` by base name, ours and others', as netplan itself would read
 * them (symlinks followed, as netplan does): the input of a whole-configuration validation.
 */
export async function readAllYaml(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const file of (await listDir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
    const path = join(dir, file);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    files.set(file, await readFile(path));
  }
  return files;
}
