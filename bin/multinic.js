#!/usr/bin/env node
// Entry point of the `multinic` command. The image runs the compiled dist/ and carries no
// TypeScript toolchain (tsx is a devDependency); a checkout runs the TypeScript sources
// through tsx, so `npm ci` is all a developer needs.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${root}dist/cli/main.js`;
if (existsSync(compiled) && process.env.MULTINIC_FROM_SOURCE !== '1') {
  await import(pathToFileURL(compiled).href);
} else {
  const tsx = await import('tsx/esm/api').catch(() => undefined);
  if (!tsx) {
    console.error('multinic: running from the TypeScript sources needs tsx, a devDependency: run `npm ci` (with devDependencies), or `npm run build` and leave MULTINIC_FROM_SOURCE unset');
    process.exit(2);
  }
  tsx.register();
  await import(pathToFileURL(`${root}src/cli/main.ts`).href);
}
