import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = resolve(import.meta.dirname, '../../..');

/** An ES module loader hook that reports every import of the Kubernetes client on stderr. */
const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier.includes('@kubernetes/client-node')) process.stderr.write('IMPORTED ' + specifier + '\\n');
  return next(specifier, context);
}
`;

describe('kube/node-patcher loading', function () {
  this.timeout(20_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multinic-lazy-'));
    await writeFile(join(dir, 'hooks.mjs'), HOOKS);
    await writeFile(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('does not load @kubernetes/client-node (most of an agent\'s memory) for kube.mode=log', async () => {
    const script = `const { createNodePatcherFromConfig } = await import(${JSON.stringify(pathToFileURL(join(REPO, 'src/kube/node-patcher.ts')).href)});
const p = createNodePatcherFromConfig({ mode: 'log', timeout: 1000 }, { info() {}, debug() {} });
await p.patchInterfaces('n', { interfaces: [], ready: true, lastError: null });
console.log('patched');`;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((done, fail) =>
      execFile(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO }, (err, out, errOut) =>
        err ? fail(new Error(`${err.message}\n${errOut}`)) : done({ stdout: out, stderr: errOut }),
      ),
    );
    expect(stdout).to.contain('patched');
    expect(stderr).to.not.contain('IMPORTED');
  });
});
