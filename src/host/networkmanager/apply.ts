import { HostError } from '../../errors/errors.js';
import type { Log } from '../../log/logger.js';
import type { OwnedFile } from '../backend.js';
import { CommandFailedError, type CommandRunner } from '../command.js';
import type { Kernel } from '../kernel.js';
import { findNicByMac, normalizeMac } from '../sysfs.js';
import { syncLinkFiles } from './link-files.js';
import { profileUuid } from './render.js';

/** What one NetworkManager apply needs; argv prefixes never go through a shell. */
export interface NmApplyContext {
  /** argv prefix of `nmcli` in the host's namespaces (NMCLI_COMMAND). */
  nmcli: readonly string[];
  /** The host's kernel (IP_COMMAND), which renames the NIC and sets it up. */
  kernel: Kernel;
  /** NM_LINK_DIR: where the `.link` files that keep the names across reboots and re-plugs go; '' writes none. */
  linkDir: string;
  /** SYSFS_NET_DIR: where NICs are found by MAC. */
  sysfsNetDir: string;
  /** Bound on each command (NM_APPLY_TIMEOUT). */
  timeoutMs: number;
  run: CommandRunner;
  log: Log;
}

/**
 * Renames the NIC carrying `mac` to `name` the way `netplan apply` does it: down, rename,
 * up (NetworkManager never renames; it follows the ifindex, NETWORKMANAGER.md §4). Kernels
 * before 6.2 refuse to rename a link that is up, so the link goes down first. No-op when
 * the NIC is absent (the host's verify waits for it) or already so named.
 */
async function renameNic(ctx: NmApplyContext, mac: string, name: string): Promise<void> {
  const ifname = await findNicByMac(ctx.sysfsNetDir, mac);
  if (ifname === undefined || ifname === name) return;
  await ctx.kernel.rename(ifname, name);
  await ctx.kernel.up(name);
  ctx.log.info({ from: ifname, to: name }, 'NIC renamed');
}

/** `nmcli -t -f UUID,DEVICE connection show`: every profile NM holds, and the device it is active on ('' if none). */
async function profiles(ctx: NmApplyContext): Promise<Map<string, string>> {
  const { stdout } = await ctx.run([...ctx.nmcli, '-t', '-f', 'UUID,DEVICE', 'connection', 'show'], { timeoutMs: ctx.timeoutMs, log: ctx.log });
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(':');
    // A UUID has no colon; an interface name cannot have one (Linux dev_valid_name).
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/**
 * `nmcli device reapply NAME`, or — when NetworkManager refuses to reapply the change in
 * place (some settings only take effect on a new activation, nmcli(1) "device reapply") —
 * `nmcli connection up UUID`, which re-activates the profile (the NIC flaps once).
 */
async function reapplyOrUp(ctx: NmApplyContext, name: string, uuid: string): Promise<void> {
  const nmcli = (...args: string[]) => ctx.run([...ctx.nmcli, ...args], { timeoutMs: ctx.timeoutMs, log: ctx.log });
  try {
    await nmcli('device', 'reapply', name);
  } catch (err) {
    if (!(err instanceof CommandFailedError)) throw err;
    ctx.log.info({ interface: name, reason: err.stderrTail }, 'NetworkManager cannot reapply in place; activating the profile again');
    await nmcli('connection', 'up', uuid);
  }
}

/**
 * Makes NetworkManager run MultiNIC's keyfiles as they are on disk now:
 * 0. the `.link` files in `linkDir` follow the keyfiles (syncLinkFiles), so udev gives each
 *    NIC its multinicN name at the next boot or re-plug, before NetworkManager sees it;
 * 1. each NIC of an owned keyfile gets its multinicN name (renameNic) — before NM sees the
 *    profile, so it activates on the renamed link;
 * 2. `nmcli connection reload`: NM re-reads the directory (it does not watch it). A new
 *    profile activates by itself (autoconnect); a removed one is deactivated, which drops
 *    its addresses (NETWORKMANAGER.md §3);
 * 3. every owned profile must now be known to NM by its UUID — load-and-check, since NM
 *    rejects a bad file silently (§5) — else HostError naming the file;
 * 4. each profile whose bytes differ from what this process last applied (`applied`;
 *    unknown after a restart) is made current: `nmcli device reapply` when it is already
 *    active on its NIC (an unchanged profile gives no kernel event, a changed address or
 *    MTU is replaced in place; reapplyOrUp), `nmcli connection up` otherwise.
 * `applied` is updated as profiles go live. Throws CommandFailedError / HostError /
 * HostTransientError (timeout); the host then rolls back and calls this again.
 */
export async function applyKeyfiles(ctx: NmApplyContext, owned: readonly OwnedFile[], applied: Map<string, Buffer>): Promise<void> {
  const nmcli = (...args: string[]) => ctx.run([...ctx.nmcli, ...args], { timeoutMs: ctx.timeoutMs, log: ctx.log });
  if (ctx.linkDir !== '') await syncLinkFiles(ctx.linkDir, owned);
  for (const o of owned) await renameNic(ctx, normalizeMac(o.iface.macAddress), o.iface.name);
  await nmcli('connection', 'reload');
  const known = await profiles(ctx);
  for (const o of owned) {
    if (!known.has(profileUuid(o.iface.name))) {
      throw new HostError(`NetworkManager did not load ${o.file} (profile ${profileUuid(o.iface.name)} is unknown after \`nmcli connection reload\`; its log says why)`);
    }
  }
  for (const f of [...applied.keys()]) if (!owned.some((o) => o.file === f)) applied.delete(f);
  for (const o of owned) {
    if (applied.get(o.file)?.equals(o.content)) continue;
    const { name } = o.iface;
    if ((await findNicByMac(ctx.sysfsNetDir, normalizeMac(o.iface.macAddress))) !== name) continue;
    const uuid = profileUuid(name);
    if (known.get(uuid) === name) await reapplyOrUp(ctx, name, uuid);
    else await nmcli('connection', 'up', uuid);
    applied.set(o.file, o.content);
  }
}
