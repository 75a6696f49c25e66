import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfiguredInterface } from '../../model/ports.js';
import type { OwnedFile } from '../backend.js';
import { parseOwnedHeader } from '../owned-meta.js';
import { listDir, readOwnedIn } from '../owned-read.js';
import { fileNameFor } from './render.js';

export type { OwnedFile };
// The atomic write is backend-neutral (src/host/files.ts); re-exported for the netplan tests.
export { writeFileAtomic } from '../files.js';

const OWNED_FILE_NAME = /^90-multinic-multinic\d+\.yaml$/;

/** True for the exact file names MultiNIC writes; anything else in NETPLAN_DIR is someone else's. */
export function isOwnedFileName(file: string): boolean {
  return OWNED_FILE_NAME.test(file);
}

/**
 * Reads back the ConfiguredInterface of a file MultiNIC wrote (src/host/owned-meta.ts):
 * the marker as exact first line, a complete meta line, and (when `file` is given) the
 * meta's name is the one the file name says. Anything else returns undefined.
 */
export function parseOwnedFile(text: string, file?: string): ConfiguredInterface | undefined {
  return parseOwnedHeader(text, fileNameFor, file);
}

/**
 * Every file in `dir` that MultiNIC owns (see parseOwnedFile), in interface-number order.
 * Symlinks and non-regular files are ignored, never followed.
 */
export function readOwnedFiles(dir: string): Promise<OwnedFile[]> {
  return readOwnedIn(dir, { isOwnedFileName, parse: parseOwnedFile });
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
