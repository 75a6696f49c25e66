import { expect } from 'chai';
import { readFileSync } from 'node:fs';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };

/** What `npm ci --omit=dev` in the image's runtime stage installs: no TypeScript toolchain. */
describe('the image carries compiled code only', function () {
  it('keeps tsx, esbuild and typescript out of the production dependency tree (package-lock dev flags)', function () {
    expect(pkg.dependencies).to.not.have.any.keys('tsx', 'esbuild', 'typescript');
    expect(pkg.devDependencies).to.include.keys('tsx', 'typescript');
    const toolchain = Object.keys(lock.packages).filter((p) => /^node_modules\/(tsx|esbuild|typescript|@esbuild\/[^/]+)$/.test(p));
    expect(toolchain).to.include.members(['node_modules/tsx', 'node_modules/esbuild', 'node_modules/typescript']);
    expect(toolchain.filter((p) => lock.packages[p]!.dev !== true), 'installed by --omit=dev').to.deep.equal([]);
  });

  it('installs production dependencies only and copies dist/ and bin/, never src/, into the runtime stage', function () {
    const runtime = read('Dockerfile').split(/^FROM /m).find((stage) => / AS runtime\b/.test(stage.split('\n')[0]!));
    expect(runtime, 'a stage named runtime').to.be.a('string');
    expect(runtime).to.match(/npm ci --omit=dev/);
    const copies = runtime!.split('\n').filter((l) => /^COPY /.test(l));
    expect(copies).to.deep.equal(['COPY package.json package-lock.json ./', 'COPY --from=build /src/dist ./dist', 'COPY bin ./bin']);
    expect(runtime).to.match(/ENTRYPOINT \["node", "\/app\/bin\/multinic\.js"\]/);
  });

  it('carries the tools the agent runs in the host namespaces: nsenter, ip, ping (issue 11 probes), netplan', function () {
    const runtime = read('Dockerfile').split(/^FROM /m).find((stage) => / AS runtime\b/.test(stage.split('\n')[0]!))!;
    const install = /apt-get install -y --no-install-recommends ([^\\\n]+)/.exec(runtime)?.[1]?.split(/\s+/) ?? [];
    expect(install).to.include.members(['util-linux', 'iproute2', 'iputils-ping', 'netplan.io']);
  });

  it('loads tsx only in bin/multinic.js’s source fallback, with a clear message when it is absent', function () {
    const bin = read('bin/multinic.js');
    expect(bin).to.not.match(/^import .*from 'tsx/m);
    expect(bin).to.match(/await import\('tsx\/esm\/api'\)\.catch/);
    expect(bin).to.match(/needs tsx, a devDependency/);
  });
});
