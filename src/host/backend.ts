import type { Log } from '../log/logger.js';
import type { ConfiguredInterface } from '../model/ports.js';
import type { InterfaceExpectation, StaleAddresses } from './kernel-check.js';
import type { ForeignClaim, NicIdentity } from './ownership.js';

/** One file MultiNIC owns in a backend's directory, with its exact bytes (for backups and change detection). */
export interface OwnedFile {
  /** Base name, e.g. `90-multinic-multinicN.yaml` for netplan. */
  file: string;
  path: string;
  content: Buffer;
  iface: ConfiguredInterface;
}

/** What one apply changes, so a backend can touch only those NICs (targeted apply). */
export interface ApplyChange {
  /** NICs to rename before they are configured: kernel name now -> `multinicN`. */
  renames: ReadonlyArray<{ from: string; to: string }>;
  /** `multinicN` names whose configuration this change writes or removes. */
  interfaces: readonly string[];
  /** True when this apply puts the previous files back after a failed change. */
  rollback: boolean;
}

/** One file of a candidate configuration: its base name, exact bytes and the interface it configures. */
export interface CandidateFile {
  file: string;
  content: Buffer;
  iface: ConfiguredInterface;
}

/** The links one change touched (by MAC in `expect` and `stale`, by name in `changed`), for asking a backend's network daemon whether it is done with them. */
export interface SettleQuery {
  expect: readonly InterfaceExpectation[];
  stale: readonly StaleAddresses[];
  /** Names (old and new) of the interfaces being changed. */
  changed: readonly string[];
}

/**
 * The port a host backend plugs into: what differs between netplan (files in
 * /etc/netplan, `netplan generate`, `netplan apply`) and, next, NetworkManager (keyfiles,
 * `nmcli`). Everything else (NIC lookup by MAC under sysfs, interface names, the takeover
 * guard, the lock, backups, the transaction with rollback, the owned-file bookkeeping)
 * is backend-neutral and lives in src/host (ManagedHost). The handler never sees either:
 * it talks to the InterfaceHost port of src/model.
 */
export interface HostBackend {
  /** Short name for logs, e.g. `netplan`. */
  readonly name: string;
  /** The directory whose MultiNIC files this backend reads and writes. */
  readonly dir: string;
  /** The file name of interface `name` (a multinicN) in `dir`; throws HostError for any other name. */
  fileNameFor(name: string): string;
  /** The interface name a file name of ours encodes, or undefined for any other file name. */
  interfaceNameOf(file: string): string | undefined;
  /** MultiNIC's own files in `dir`, parsed back; never follows a symlink. */
  readOwned(): Promise<OwnedFile[]>;
  /** The exact bytes of the file for `iface`; throws HostError for anything it cannot render safely. */
  render(iface: ConfiguredInterface): Buffer;
  /** True when two renderings differ only in MultiNIC's own bookkeeping, so the system would see no change. */
  sameEffect(a: Buffer, b: Buffer): boolean;
  /**
   * Validates the whole configuration as it would be after the change (ours and others'
   * files, `write` and every one of `writes` added, `remove` gone) with the backend's own
   * tool, in one run; throws HostError naming the problem. A batch passes all its files in
   * `writes` (and the single one also as `write`). With `nic` and/or `nics`, also refuses
   * (ForeignClaimError, assertSoleOwner) when any other definition in that whole
   * configuration claims any of those NICs — a batch passes every NIC it writes in `nics`.
   * A backend configured to skip validation returns at once.
   */
  validate(change: {
    write?: CandidateFile;
    writes?: readonly CandidateFile[];
    remove: readonly string[];
    nic?: NicIdentity;
    nics?: readonly NicIdentity[];
  }): Promise<void>;
  /**
   * Claims of other configurations on each of `nics` in the configuration as it is now (for
   * resync: a claim that appeared after MultiNIC configured the NIC), by `newName`.
   * Optional: a backend without it is not audited.
   */
  claims?(nics: readonly NicIdentity[]): Promise<Map<string, ForeignClaim[]>>;
  /**
   * Makes the running system use the files now (e.g. `netplan apply`); throws on failure or
   * timeout. `change` says which NICs the change is about; a backend may ignore it and
   * reconfigure everything.
   */
  apply(log: Log, change?: ApplyChange): Promise<void>;
  /**
   * Optional: why the backend's network daemon is still configuring a link of `q` (one
   * line), or null when it is done with all of them. The kernel is judged only after null,
   * so an apply the daemon finishes asynchronously (`networkctl reload`/`reconfigure`) is not
   * judged half-way. Throws when the daemon cannot be asked; then the kernel alone judges.
   */
  unsettled?(q: SettleQuery, log: Pick<Log, 'debug' | 'warn'>): Promise<string | null>;
}
