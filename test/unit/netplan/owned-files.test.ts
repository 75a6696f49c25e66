import { chmod, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { isOwnedFileName, parseOwnedFile, readAllYaml, readOwnedFiles, writeFileAtomic } from '../../../src/host/netplan/owned-files.js';
import { META_PREFIX, OWNED_MARKER, fileNameFor, renderInterface } from '../../../src/host/netplan/render.js';
import { iface } from '../../fixtures/netplan/cases.js';

describe('netplan owned files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multinic-owned-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('isOwnedFileName', () => {
    it('accepts exactly 90-multinic-multinicN.yaml', () => {
      for (const ok of ['90-multinic-multinic0.yaml', '90-multinic-multinic12.yaml', '90-multinic-multinic100.yaml']) expect(isOwnedFileName(ok), ok).to.equal(true);
      for (const bad of ['50-cloud-init.yaml', '90-multinic-eth0.yaml', '90-multinic-multinic0.yml', '90-multinic-multinic0.yaml.bak', 'x90-multinic-multinic0.yaml', '.90-multinic-multinic0.yaml.1.tmp', '90-multinic-multinic.yaml']) {
        expect(isOwnedFileName(bad), bad).to.equal(false);
      }
    });
  });

  describe('parseOwnedFile', () => {
    const value = iface({ name: 'multinic3' });
    const text = renderInterface(value);
    const file = fileNameFor('multinic3');

    it('reads back what render wrote', () => {
      expect(parseOwnedFile(text, file)).to.deep.equal(value);
      expect(parseOwnedFile(text)).to.deep.equal(value);
    });

    it('rejects a file without the marker', () => {
      expect(parseOwnedFile(text.split('\n').slice(1).join('\n'), file)).to.equal(undefined);
      expect(parseOwnedFile('network:\n  version: 2\n', file)).to.equal(undefined);
    });

    it('rejects the marker when it is not the first line', () => {
      expect(parseOwnedFile(`# hand-written\n${text}`, file)).to.equal(undefined);
      expect(parseOwnedFile(` ${text}`, file)).to.equal(undefined);
    });

    it('rejects meta that names another interface than the file name', () => {
      expect(parseOwnedFile(text, fileNameFor('multinic4'))).to.equal(undefined);
    });

    it('rejects a file someone else wrote with our marker under another name', () => {
      expect(parseOwnedFile(text, '60-copied.yaml')).to.equal(undefined);
    });

    it('rejects truncated or malformed meta', () => {
      const [marker, meta, ...rest] = text.split('\n');
      expect(parseOwnedFile([marker, meta!.slice(0, -5), ...rest].join('\n'), file)).to.equal(undefined);
      expect(parseOwnedFile([marker, `${META_PREFIX}null`, ...rest].join('\n'), file)).to.equal(undefined);
      expect(parseOwnedFile([marker, `# meta: ${meta!.slice(META_PREFIX.length)}`, ...rest].join('\n'), file)).to.equal(undefined);
      expect(parseOwnedFile(`${marker}\n${meta}`, file), 'nothing after the meta').to.equal(undefined);
      expect(parseOwnedFile(`${OWNED_MARKER}\n`, file)).to.equal(undefined);
    });

    it('rejects meta with a field missing or of the wrong type', () => {
      const wrong: Array<Record<string, unknown>> = [
        { ...value, generation: '1' },
        { ...value, mtu: 'big' },
        { ...value, address: 5 },
        { ...value, name: 'eth0' },
        (({ origin: _o, ...rest }) => rest)(value),
      ];
      for (const meta of wrong) {
        const forged = `${OWNED_MARKER}\n${META_PREFIX}${JSON.stringify(meta)}\nnetwork: {version: 2}\n`;
        expect(parseOwnedFile(forged), JSON.stringify(meta)).to.equal(undefined);
      }
    });
  });

  describe('readOwnedFiles', () => {
    it('returns only our files, in interface-number order, with their exact bytes', async () => {
      const a = iface({ name: 'multinic10', macAddress: 'fa:16:3e:00:00:10' });
      const b = iface({ name: 'multinic2', macAddress: 'fa:16:3e:00:00:02' });
      await writeFile(join(dir, fileNameFor('multinic10')), renderInterface(a));
      await writeFile(join(dir, fileNameFor('multinic2')), renderInterface(b));
      await writeFile(join(dir, '50-cloud-init.yaml'), 'network: {version: 2}\n');
      await writeFile(join(dir, fileNameFor('multinic5')), 'network: {version: 2}\n');
      await writeFile(join(dir, fileNameFor('multinic6')), renderInterface(iface({ name: 'multinic7' })));
      const owned = await readOwnedFiles(dir);
      expect(owned.map((o) => o.file)).to.deep.equal([fileNameFor('multinic2'), fileNameFor('multinic10')]);
      expect(owned[0]!.iface).to.deep.equal(b);
      expect(owned[1]!.path).to.equal(join(dir, fileNameFor('multinic10')));
      expect(owned[1]!.content.toString()).to.equal(renderInterface(a));
    });

    it('never follows a symlink, even one named like ours pointing at our content', async () => {
      const target = join(dir, 'elsewhere.txt');
      await writeFile(target, renderInterface(iface({ name: 'multinic1' })));
      await symlink(target, join(dir, fileNameFor('multinic1')));
      expect(await readOwnedFiles(dir)).to.deep.equal([]);
    });

    it('answers no files for a directory that does not exist', async () => {
      expect(await readOwnedFiles(join(dir, 'missing'))).to.deep.equal([]);
    });
  });

  describe('readAllYaml', () => {
    it('reads every *.yaml, ours and others', async () => {
      await writeFile(join(dir, '50-cloud-init.yaml'), 'a');
      await writeFile(join(dir, fileNameFor('multinic0')), 'b');
      await writeFile(join(dir, 'notes.txt'), 'c');
      const all = await readAllYaml(dir);
      expect([...all.keys()]).to.deep.equal(['50-cloud-init.yaml', fileNameFor('multinic0')]);
      expect(all.get('50-cloud-init.yaml')!.toString()).to.equal('a');
    });
  });

  describe('writeFileAtomic', () => {
    it('writes the exact content with mode 0600 and leaves no temporary file', async () => {
      const path = join(dir, fileNameFor('multinic0'));
      const content = renderInterface(iface());
      await writeFileAtomic(path, content);
      expect(await readFile(path, 'utf8')).to.equal(content);
      expect((await stat(path)).mode & 0o777).to.equal(0o600);
      expect(await readdir(dir)).to.deep.equal([fileNameFor('multinic0')]);
    });

    it('replaces an existing file (new inode, so a reader holding the old one sees old bytes) and sets 0600 again', async () => {
      const path = join(dir, 'x.yaml');
      await writeFile(path, 'old');
      await chmod(path, 0o644);
      const before = await stat(path);
      await writeFileAtomic(path, Buffer.from('new bytes'));
      const after = await stat(path);
      expect(await readFile(path, 'utf8')).to.equal('new bytes');
      expect(after.ino).not.to.equal(before.ino);
      expect(after.mode & 0o777).to.equal(0o600);
      expect(await readdir(dir)).to.deep.equal(['x.yaml']);
    });

    it('leaves the old file and no temporary file when the rename fails', async () => {
      const path = join(dir, 'sub');
      // Renaming a file over a non-empty directory fails (EISDIR/ENOTEMPTY).
      await writeFile(join(dir, 'keep'), 'x');
      await import('node:fs/promises').then((fs) => fs.mkdir(path));
      await writeFile(join(path, 'inner'), 'y');
      let failed = false;
      await writeFileAtomic(path, 'z').catch(() => {
        failed = true;
      });
      expect(failed).to.equal(true);
      expect((await readdir(dir)).sort()).to.deep.equal(['keep', 'sub']);
    });
  });
});
