import { access, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { HostError } from '../errors/errors.js';
import type { Log } from '../log/logger.js';
import { readOwnedFiles } from '../host/netplan/owned-files.js';
import { findNicByMac } from '../host/sysfs.js';

/** One `ethernets` entry as netplan apply would act on it. */
interface Ethernet {
  macaddress: string;
  setName: string;
  mtu: number | undefined;
}

function ethernetsOf(text: string, file: string): Ethernet[] {
  const doc = parse(text, { version: '1.1' }) as { network?: { ethernets?: Record<string, Record<string, unknown>> } } | null;
  const out: Ethernet[] = [];
  for (const [id, eth] of Object.entries(doc?.network?.ethernets ?? {})) {
    const match = eth.match as { macaddress?: unknown } | undefined;
    const setName = eth['set-name'];
    if (typeof match?.macaddress !== 'string' || typeof setName !== 'string') {
      throw new HostError(`${file}: ethernets.${id} has no match.macaddress / set-name`);
    }
    out.push({ macaddress: match.macaddress, setName, mtu: typeof eth.mtu === 'number' ? eth.mtu : undefined });
  }
  return out;
}

/** What one sandbox apply did, for its log line and tests. */
export interface SandboxApplyResult {
  renamed: Array<{ from: string; to: string; mac: string }>;
  configured: string[];
  /** MACs in owned files with no NIC in the tree (netplan skips `optional` NICs the same way). */
  missing: string[];
}

/**
 * A harmless stand-in for `netplan apply`, for tests, the demo and the docker-compose
 * sandbox: reads MultiNIC's own files in `netplanDir` and, in a FAKE sysfs tree, renames
 * the interface whose `address` matches each `match.macaddress` to its `set-name`, writes
 * its `mtu` and sets `operstate` to up. It never runs netplan and never touches a real
 * interface — it only moves directories under `sysfsDir`, so point it at a fake tree.
 * A rename onto a name another NIC holds fails, as the kernel's would (EEXIST).
 */
export async function sandboxApply({ netplanDir, sysfsDir, log }: { netplanDir: string; sysfsDir: string; log: Pick<Log, 'info' | 'warn'> }): Promise<SandboxApplyResult> {
  const result: SandboxApplyResult = { renamed: [], configured: [], missing: [] };
  for (const owned of await readOwnedFiles(netplanDir)) {
    for (const eth of ethernetsOf(owned.content.toString('utf8'), owned.file)) {
      const current = await findNicByMac(sysfsDir, eth.macaddress);
      if (!current) {
        result.missing.push(eth.macaddress);
        continue;
      }
      if (current !== eth.setName) {
        const taken = await access(join(sysfsDir, eth.setName)).then(() => true, () => false);
        if (taken) throw new HostError(`cannot rename ${current} to ${eth.setName}: the name is taken`);
        await rename(join(sysfsDir, current), join(sysfsDir, eth.setName));
        result.renamed.push({ from: current, to: eth.setName, mac: eth.macaddress });
      }
      if (eth.mtu !== undefined) await writeFile(join(sysfsDir, eth.setName, 'mtu'), `${eth.mtu}\n`);
      await writeFile(join(sysfsDir, eth.setName, 'operstate'), 'up\n');
      result.configured.push(eth.setName);
    }
  }
  if (result.missing.length) log.warn({ missing: result.missing }, 'sandbox apply: no NIC for some MACs');
  log.info({ renamed: result.renamed, configured: result.configured }, 'sandbox apply done');
  return result;
}
