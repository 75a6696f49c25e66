import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { KEYS } from '../../src/config/keys.js';

/** The README is the product's front door: these checks keep it true as the code changes. */
describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

  it('carries the configuration reference generated from src/config/keys.ts, unchanged', () => {
    const generated = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/config-reference.ts'], { encoding: 'utf8' });
    const m = /<!-- config-reference:start[^>]*-->\n([\s\S]*?)<!-- config-reference:end -->/.exec(readme);
    expect(m, 'config-reference markers in README.md').to.not.equal(null);
    expect(m![1], 'README config table is stale: run `npx tsx scripts/config-reference.ts` and paste it').to.equal(generated);
    for (const k of KEYS) expect(readme).to.include(`\`${k.env}\``);
  });

  it('names only npm scripts that exist', () => {
    const used = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!);
    expect(used).to.include.members(['demo', 'bench']);
    for (const s of used) expect(pkg.scripts, `npm run ${s}`).to.have.property(s);
    expect(pkg.scripts).to.have.property('test');
  });

  it('links only files that exist', () => {
    const links = [...readme.matchAll(/\]\(((?!https?:|#)[^)]+)\)/g)].map((m) => m[1]!);
    for (const l of links) expect(existsSync(new URL(`../../${l}`, import.meta.url)), l).to.equal(true);
    for (const path of ['scripts/services/start.sh', 'deploy/sql/users.sql', 'scripts/rabbitmq/node-user.sh', 'scripts/build-image.sh', 'scripts/deploy.sh', 'scripts/cleanup.sh']) {
      expect(readme).to.include(path);
      expect(existsSync(new URL(`../../${path}`, import.meta.url)), path).to.equal(true);
    }
  });
});
