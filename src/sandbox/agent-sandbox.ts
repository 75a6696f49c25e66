import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import { findNicByMac, listHostInterfaces } from '../host/sysfs.js';
import type { Log } from '../log/logger.js';
import type { InterfaceHost } from '../model/ports.js';
import { FakeSysfs } from './fake-sysfs.js';

/** Where one sandboxed agent (`multinic agent --sandbox DIR`) keeps everything it touches, all under DIR. */
export interface AgentSandbox {
  dir: string;
  /** `DIR/etc/netplan` (mode 0700): the agent's netplan files. */
  netplanDir: string;
  /** `DIR/backups`. */
  backupDir: string;
  /** `DIR/sys-class-net`: the fake `/sys/class/net` (`<ifname>/{address,operstate,mtu}`) whose NICs sandbox-apply renames. */
  sysfsDir: string;
}

/** Folders a sandbox must never be: its netplan dir would be the host's, or its fake sysfs a real one. */
const SYSTEM = ['/', '/etc', '/sys', '/proc', '/dev', '/run', '/usr', '/boot', '/var', '/lib', '/bin', '/sbin'];

/**
 * The sandbox layout under `dir` (resolved against the working directory). Throws a
 * ConfigError naming `--sandbox` for `/`, a system folder or anything under /sys, /proc,
 * /dev or /etc: the point of a sandbox is that nothing of the host is in it.
 */
export function agentSandbox(dir: string): AgentSandbox {
  const abs = resolve(dir);
  if (SYSTEM.includes(abs) || /^\/(sys|proc|dev|etc)\//.test(abs)) {
    throw new ConfigError('--sandbox', `${JSON.stringify(dir)} is a system folder; give a folder of your own, e.g. .sandbox/worker-node-1`);
  }
  return { dir: abs, netplanDir: join(abs, 'etc', 'netplan'), backupDir: join(abs, 'backups'), sysfsDir: join(abs, 'sys-class-net') };
}

/** Creates the sandbox's folders (netplan's 0700, as netplan wants its files private); keeps whatever is there. */
export async function prepareAgentSandbox(sb: AgentSandbox): Promise<void> {
  await mkdir(sb.netplanDir, { recursive: true, mode: 0o700 });
  await mkdir(sb.backupDir, { recursive: true });
  await mkdir(sb.sysfsDir, { recursive: true });
}

/**
 * Plugs a NIC with `mac` into the fake sysfs as OpenStack's hot-plug would (`ensN`, the
 * first free N from 4, down, MTU 1500), unless one with that MAC is there. Returns the name
 * plugged, or null when it was present.
 */
export async function plugFakeNic(sysfsDir: string, mac: string): Promise<string | null> {
  if (await findNicByMac(sysfsDir, mac)) return null;
  const taken = new Set(await listHostInterfaces(sysfsDir));
  let n = 4;
  while (taken.has(`ens${n}`) || existsSync(join(sysfsDir, `ens${n}`))) n++;
  await FakeSysfs.at(sysfsDir).add({ name: `ens${n}`, mac });
  return `ens${n}`;
}

/**
 * The sandbox's InterfaceHost: before each configure, the port's NIC is hot-plugged into
 * the fake sysfs (so every row and every event sent by hand finds its NIC), then the real
 * host code runs on the sandbox's folders. Everything else is the wrapped host's.
 */
export function withFakeHotPlug(host: InterfaceHost, sysfsDir: string, log: Pick<Log, 'info'>): InterfaceHost {
  return {
    configure: async (data, origin) => {
      const plugged = await plugFakeNic(sysfsDir, data.macAddress);
      if (plugged) log.info({ nic: plugged, mac: data.macAddress, sysfsDir }, 'sandbox: fake NIC plugged');
      return host.configure(data, origin);
    },
    remove: (portId) => host.remove(portId),
    listConfigured: () => host.listConfigured(),
    refresh: host.refresh ? () => host.refresh!() : undefined,
  };
}
