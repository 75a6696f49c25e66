import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { INTERFACE_NAME } from '../../model/interface-name.js';
import type { OwnedFile } from '../backend.js';
import { writeFileAtomic } from '../files.js';
import { OWNED_MARKER } from '../owned-meta.js';
import { listDir, readNoFollow } from '../owned-read.js';
import { normalizeMac } from '../sysfs.js';

/** `10-multinic-<name>.link`: before the distribution's `99-default.link`, so it is the first match (systemd.link(5)). */
export function linkFileNameFor(name: string): string {
  return `10-multinic-${name}.link`;
}

const LINK_FILE = /^10-multinic-(multinic\d+)\.link$/;

/**
 * The systemd `.link` file that gives the NIC with `mac` the name `name` whenever udev
 * adds it — at every boot and every hot-plug (systemd.link(5): `[Match] MACAddress=`,
 * available in systemd 239 of RHEL 8 where `PermanentMACAddress=` is not; a virtio NIC's
 * MAC is its permanent one). udev applies it only when a device is added, so the NIC
 * present now is renamed with `ip link` by the apply, as netplan apply does.
 */
export function renderLinkFile(name: string, mac: string): string {
  return `${OWNED_MARKER}\n[Match]\nMACAddress=${normalizeMac(mac)}\n\n[Link]\nName=${name}\n`;
}

/**
 * Makes `dir` hold exactly one `.link` file of ours per owned keyfile: writes the missing
 * or different ones atomically (0644, as udev reads them; the directory is created when
 * missing, as systemd itself never needs it to exist), removes ours whose keyfile is
 * gone. A file is ours only by name AND first line (the marker); anything else is never
 * touched. Derived from the keyfiles on every apply, so a rollback restores them too.
 */
export async function syncLinkFiles(dir: string, owned: readonly OwnedFile[]): Promise<void> {
  const wanted = new Map(owned.filter((o) => INTERFACE_NAME.test(o.iface.name)).map((o) => [linkFileNameFor(o.iface.name), renderLinkFile(o.iface.name, o.iface.macAddress)]));
  for (const file of (await listDir(dir)).filter((f) => LINK_FILE.test(f))) {
    const content = (await readNoFollow(join(dir, file)))?.toString('utf8');
    if (content === undefined || content.split('\n', 1)[0] !== OWNED_MARKER) continue;
    if (!wanted.has(file)) await unlink(join(dir, file));
    else if (wanted.get(file) === content) wanted.delete(file);
  }
  if (wanted.size > 0) await mkdir(dir, { recursive: true });
  for (const [file, content] of wanted) await writeFileAtomic(join(dir, file), content, 0o644);
}
