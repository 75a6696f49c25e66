import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupOwnedFiles, listBackups } from '../../../src/host/backup.js';
import { createRingLogger } from '../../../src/log/logger.js';

describe('host/backup', () => {
  const { log } = createRingLogger();
  let dir: string;
  let t: number;
  const now = () => new Date(t);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multinic-backup-'));
    t = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('copies the given files byte for byte into <UTC timestamp>-<seq>, dir 0700 and files 0600', async () => {
    const content = Buffer.from('# Managed by MultiNIC\nnetwork: {}\n');
    const path = await backupOwnedFiles([{ file: '90-multinic-multinic0.yaml', content }], { backupDir: join(dir, 'b'), keep: 3, now, log });
    expect(path).to.equal(join(dir, 'b', '20250102T030405.006Z-000001'));
    expect(await readFile(join(path, '90-multinic-multinic0.yaml'))).to.deep.equal(content);
    expect((await stat(path)).mode & 0o777).to.equal(0o700);
    expect((await stat(join(path, '90-multinic-multinic0.yaml'))).mode & 0o777).to.equal(0o600);
  });

  it('keeps only the newest `keep` backups, ordered by sequence even when the clock goes back', async () => {
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      t += i === 4 ? -3_600_000 : 1000;
      made.push(await backupOwnedFiles([{ file: 'f.yaml', content: Buffer.from(String(i)) }], { backupDir: dir, keep: 3, now, log }));
    }
    const kept = await listBackups(dir);
    expect(kept).to.have.length(3);
    expect(kept.map((k) => join(dir, k))).to.deep.equal(made.slice(3));
    expect(String(await readFile(join(dir, kept[2], 'f.yaml')))).to.equal('5');
  });

  it('never removes what is not one of its backups', async () => {
    await writeFile(join(dir, 'operator-notes.txt'), 'keep me');
    for (let i = 0; i < 4; i++) await backupOwnedFiles([], { backupDir: dir, keep: 1, now, log });
    expect((await readdir(dir)).sort()).to.deep.equal(['20250102T030405.006Z-000004', 'operator-notes.txt']);
  });
});
