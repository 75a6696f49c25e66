import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One NIC in a fake `/sys/class/net`. */
export interface FakeNic {
  name: string;
  mac: string;
  operstate?: string;
  mtu?: number;
}

/**
 * A fake `/sys/class/net` in a temp dir (tests, `multinic demo`): `<root>/<ifname>/{address,operstate,mtu}`, the
 * three attributes MultiNIC reads. NICs can be added and removed later to simulate
 * hot-plug; `sandbox-apply` renames them the way `netplan apply` would.
 */
export class FakeSysfs {
  private constructor(readonly root: string) {}

  /** Creates the tree under a fresh temp dir (or `parent` when given). */
  static async create(nics: FakeNic[] = [], parent?: string): Promise<FakeSysfs> {
    const root = parent ? join(parent, 'sys-class-net') : await mkdtemp(join(tmpdir(), 'multinic-sysfs-'));
    await mkdir(root, { recursive: true });
    const fake = new FakeSysfs(root);
    for (const nic of nics) await fake.add(nic);
    return fake;
  }

  /** The tree at an existing `root` (e.g. a sandbox's), for adding and removing NICs. */
  static at(root: string): FakeSysfs {
    return new FakeSysfs(root);
  }

  async add({ name, mac, operstate = 'down', mtu = 1500 }: FakeNic): Promise<void> {
    const dir = join(this.root, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'address'), `${mac}\n`);
    await writeFile(join(dir, 'operstate'), `${operstate}\n`);
    await writeFile(join(dir, 'mtu'), `${mtu}\n`);
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.root, name), { recursive: true, force: true });
  }

  async read(name: string, attr: 'address' | 'operstate' | 'mtu'): Promise<string> {
    return (await readFile(join(this.root, name, attr), 'utf8')).trim();
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
