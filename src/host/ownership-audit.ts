import type { ConfiguredInterface } from '../model/ports.js';
import type { HostBackend } from './backend.js';
import { describeClaim, type ForeignClaim, type NicIdentity } from './ownership.js';
import { findNicByMac, normalizeMac, readDriver } from './sysfs.js';

/** One configured interface as the resync audit sees it: its port, its NIC now, and what else claims it. */
export interface ClaimedPort {
  portId: string;
  name: string;
  reason: string;
}

/**
 * The audit's verdict for NICs MultiNIC configured (`nics`, each with its port) given the
 * claims a backend found on them by `newName`: one reason per claimed port, naming the
 * claims. Changes nothing; resync reports them on the Node.
 */
function claimedPorts(nics: ReadonlyArray<NicIdentity & { portId: string }>, claims: ReadonlyMap<string, readonly ForeignClaim[]>): ClaimedPort[] {
  return nics
    .filter((n) => (claims.get(n.newName) ?? []).length > 0)
    .map((n) => ({ portId: n.portId, name: n.newName, reason: `${n.newName} (MAC ${n.mac}) is also claimed by ${claims.get(n.newName)!.map(describeClaim).join('; ')}; MultiNIC changes nothing until that is resolved` }));
}

/**
 * Resync's ownership audit (docs/DESIGN.md, "Never fight another owner"): for each
 * interface MultiNIC configured whose NIC is present under `sysfsNetDir`, the claims of
 * other configurations on it as the node's files are now (a cloud-init hotplug file written
 * after MultiNIC's). Empty when the backend cannot tell (no `claims`).
 */
export async function auditOwnership(ifaces: readonly ConfiguredInterface[], sysfsNetDir: string, backend: Pick<HostBackend, 'claims'>): Promise<ClaimedPort[]> {
  const nics: Array<NicIdentity & { portId: string }> = [];
  for (const i of ifaces) {
    const mac = normalizeMac(i.macAddress);
    const current = await findNicByMac(sysfsNetDir, mac).catch(() => undefined);
    if (current) nics.push({ portId: i.portId, mac, currentName: current, newName: i.name, driver: readDriver(sysfsNetDir, current) });
  }
  return claimedPorts(nics, (await backend.claims?.(nics)) ?? new Map());
}
