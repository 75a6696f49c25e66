import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * MultiNIC's version: the `version` of the package.json two folders above this module
 * (the checkout's root for src/lib, /app in the image for dist/lib, which the image copies
 * beside dist/). Read once, on first use, never at module load; `0.0.0-unknown` when the
 * file is missing or has no version, so `--version` and `multinic_build_info` still answer.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' && pkg.version ? pkg.version : '0.0.0-unknown';
  } catch {
    cached = '0.0.0-unknown';
  }
  return cached;
}
