import { RefusedError } from '../errors/errors.js';

/** The NIC a change is about, as the ownership check matches it. */
export interface NicIdentity {
  /** Lower-case MAC. */
  mac: string;
  /** Kernel name now (e.g. `ens4`) and the multinicN it gets; equal when already renamed. */
  currentName: string;
  newName: string;
  /** Kernel driver (`virtio_net`), from sysfs `device/driver`; undefined when the NIC has no device (veth). */
  driver?: string;
}

/** Another configuration on the node that claims the NIC, as a backend found it. */
export interface ForeignClaim {
  /** The file(s) it comes from, e.g. `/etc/netplan/50-cloud-init.yaml`. */
  files: readonly string[];
  /** Its name in that file (a netplan definition id, a NetworkManager profile id). */
  definition: string;
  /** How it claims the NIC, e.g. `matches MAC fa:16:3e:10:00:01`, `renames it to ens4`, `bond member of bond0`. */
  how: string;
}

/** A NIC that another configuration also claims, or two NICs sharing one MAC; permanent. */
export class ForeignClaimError extends RefusedError {
  override name = 'ForeignClaimError';
}

/** Two or more NICs carry the port's MAC: which one is meant cannot be known; permanent. */
export class AmbiguousNicError extends RefusedError {
  override name = 'AmbiguousNicError';
}

/** One line naming a claim's file(s), definition and how it claims the NIC. */
export function describeClaim(c: ForeignClaim): string {
  return `${c.files.join(', ') || '(unknown file)'} (${c.definition}) ${c.how}`;
}

/**
 * The rule "one owner per NIC", the same for every backend: throws ForeignClaimError when
 * any other configuration claims the NIC (by MAC, by its current or new name, by driver, as
 * a bond, bridge or VLAN member, by renaming it or giving its name to another NIC), naming
 * each file. The backend finds the claims; this decides and words the refusal.
 */
export function assertSoleOwner(nic: NicIdentity, claims: readonly ForeignClaim[]): void {
  if (claims.length === 0) return;
  throw new ForeignClaimError(
    `refusing ${nic.currentName} (MAC ${nic.mac}) as ${nic.newName}: another configuration claims it: ${claims.map(describeClaim).join('; ')} ` +
      '— two owners of one NIC fight on every apply and boot; remove that definition or let it own the NIC',
  );
}

