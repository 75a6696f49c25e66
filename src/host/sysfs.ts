import { accessSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HostTransientError } from '../errors/errors.js';
import { AmbiguousNicError } from './ownership.js';

/**
 * NIC lookup under a sysfs `class/net` tree (`/sys/class/net` on a host, a temp dir in
 * tests). Interface names come from the directory listing, never from an event, so they
 * are safe to pass on as argv to `ip`.
 *
 * The reads are synchronous on purpose: sysfs attributes live in kernel memory and never
 * wait for a disk, and one lookup reads every NIC's address, several times per event; a
 * synchronous read costs ~12 us of CPU where the thread-pool round trips of an async one
 * (open, fstat, read, close) cost ~140 us. The functions stay async for their callers.
 */

/** Lower-cases and trims a MAC so comparisons are case-insensitive but otherwise exact. */
export function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase();
}

/** Names of every interface in the tree, sorted; an unreadable tree is an error, not "no NICs". */
export async function listHostInterfaces(sysfsDir: string): Promise<string[]> {
  const entries = readdirSync(sysfsDir, { withFileTypes: true });
  // Real sysfs lists interfaces as symlinks and has plain files such as bonding_masters.
  return entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
}

async function readAttr(sysfsDir: string, ifname: string, attr: string): Promise<string | undefined> {
  try {
    return readFileSync(join(sysfsDir, ifname, attr), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * The name of the interface whose `address` equals `mac` (case-insensitive, exact), or
 * undefined. Entries whose address cannot be read are skipped. A VLAN or bond stacked on
 * the NIC shares its MAC; then the one backed by a device (`<if>/device` exists) is the
 * NIC. Still ambiguous throws AmbiguousNicError naming every interface with that MAC:
 * configuring the wrong interface is worse than failing the event, and waiting would not help.
 */
export async function findNicByMac(sysfsDir: string, mac: string): Promise<string | undefined> {
  const wanted = normalizeMac(mac);
  const found: string[] = [];
  for (const name of await listHostInterfaces(sysfsDir)) {
    const address = await readAttr(sysfsDir, name, 'address');
    if (address !== undefined && normalizeMac(address) === wanted) found.push(name);
  }
  if (found.length <= 1) return found[0];
  const physical: string[] = [];
  for (const name of found) if (await exists(join(sysfsDir, name, 'device'))) physical.push(name);
  if (physical.length === 1) return physical[0];
  throw new AmbiguousNicError(`refusing MAC ${wanted}: it is ambiguous, ${found.length} interfaces carry it (${found.join(', ')}) and ${physical.length === 0 ? 'none' : physical.join(', ')} ${physical.length === 1 ? 'is' : 'are'} backed by a device; MultiNIC cannot tell which NIC the port is`);
}

/** The kernel driver of a NIC (`virtio_net`), the name of its sysfs `device/driver` link; undefined without a device (veth, bridge). */
export function readDriver(sysfsDir: string, ifname: string): string | undefined {
  try {
    return basename(readlinkSync(join(sysfsDir, ifname, 'device', 'driver')));
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `operstate` of an interface (`up`, `down`, `unknown`, ...), or undefined when unreadable. */
export async function readOperstate(sysfsDir: string, ifname: string): Promise<string | undefined> {
  return readAttr(sysfsDir, ifname, 'operstate');
}

export interface WaitOptions {
  /** Give up after this long; the agent passes `agent.nicWait` (30 s by default). */
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** First poll interval; doubles up to `maxIntervalMs`. Defaults 50 ms and 1 s. */
  initialIntervalMs?: number;
  maxIntervalMs?: number;
}

/**
 * Waits for the NIC with `mac` to appear (a freshly hot-plugged port shows up in the guest
 * a few seconds after the event), polling with exponential backoff. Never falls back to
 * another NIC: when the MAC does not appear in time it throws HostTransientError, so the
 * event is retried and finally dead-lettered.
 */
export async function waitForNic(sysfsDir: string, mac: string, opts: WaitOptions): Promise<string> {
  const { timeoutMs, sleep, now, initialIntervalMs = 50, maxIntervalMs = 1000 } = opts;
  const deadline = now() + timeoutMs;
  let interval = initialIntervalMs;
  for (;;) {
    const name = await findNicByMac(sysfsDir, mac);
    if (name) return name;
    const left = deadline - now();
    if (left <= 0) {
      throw new HostTransientError(`no network interface with MAC ${normalizeMac(mac)} appeared within ${timeoutMs} ms under ${sysfsDir}`);
    }
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * 2, maxIntervalMs);
  }
}

/**
 * Waits until the NIC with `mac` is present under `name` (what `set-name` asks netplan
 * for), polling with backoff; the post-apply check. Throws HostTransientError naming what
 * was found instead: the NIC may still be settling, and the caller rolls back.
 */
export async function waitForNicName(sysfsDir: string, mac: string, name: string, opts: WaitOptions): Promise<void> {
  const { timeoutMs, sleep, now, initialIntervalMs = 20, maxIntervalMs = 500 } = opts;
  const deadline = now() + timeoutMs;
  let interval = initialIntervalMs;
  for (;;) {
    const found = await findNicByMac(sysfsDir, mac);
    if (found === name) return;
    const left = deadline - now();
    if (left <= 0) {
      const what = found ? `is named ${found}` : 'is missing';
      throw new HostTransientError(`after apply the NIC with MAC ${normalizeMac(mac)} ${what}, expected ${name} (waited ${timeoutMs} ms)`);
    }
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * 2, maxIntervalMs);
  }
}
