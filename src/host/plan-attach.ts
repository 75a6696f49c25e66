import type { InterfaceEventData } from '../events/types.js';
import type { Log } from '../log/logger.js';
import { configuredInterface } from '../model/configured.js';
import { sameContent } from '../model/content.js';
import type { ConfiguredInterface } from '../model/ports.js';
import type { HostBackend, OwnedFile } from './backend.js';
import { allocateName } from './naming.js';
import type { OwnedView } from './owned-cache.js';
import { listHostInterfaces, normalizeMac, waitForNic } from './sysfs.js';

/** What planning one interface needs from its host (ManagedHost hands it over). */
export interface PlanContext {
  backend: HostBackend;
  sysfsNetDir: string;
  nicWaitMs: number;
  wait: { sleep: (ms: number) => Promise<void>; now: () => number };
  /** Names this process wrote into a file, by normalized MAC (see ManagedHost.written). */
  written: ReadonlyMap<string, string>;
  /** Refuses a NIC that is up with foreign addresses (ManagedHost.guardTakeover). */
  guardTakeover: (ifname: string, mac: string, owned: readonly OwnedFile[]) => Promise<void>;
  log: Log;
}

/** One interface's file as it would be after the change, and what it replaces. */
export interface AttachPlan {
  mac: string;
  /** The NIC's kernel name now. */
  ifname: string;
  name: string;
  iface: ConfiguredInterface;
  content: Buffer;
  file: string;
  /** Owned files this change deletes: the port's file under an old name or MAC, or another port's file for this MAC. */
  replaced: OwnedFile[];
  /** The owned file at `file` now, if any. */
  current: OwnedFile | undefined;
  /** True when the host already runs exactly this (the NIC carries its name): nothing to write or apply. */
  unchanged: boolean;
}

/**
 * Plans configuring one interface against `view` (the owned files as they are, or as a
 * batch's earlier changes leave them): waits for the NIC with the event's MAC, refuses a
 * NIC owned by someone else, picks its stable multinicN name (owned-looking names that are
 * not ours stay reserved), renders the file. Writes nothing. Throws what waitForNic,
 * the takeover guard and the backend's render throw.
 */
export async function planAttach(ctx: PlanContext, view: OwnedView, data: InterfaceEventData, origin: string): Promise<AttachPlan> {
  const { backend, sysfsNetDir } = ctx;
  const mac = normalizeMac(data.macAddress);
  const ifname = await waitForNic(sysfsNetDir, mac, { timeoutMs: ctx.nicWaitMs, ...ctx.wait });
  const { owned } = view;
  await ctx.guardTakeover(ifname, mac, owned);

  const strangers = view.entries.filter((f) => backend.interfaceNameOf(f) !== undefined && !owned.some((o) => o.file === f));
  const hostNames = (await listHostInterfaces(sysfsNetDir)).filter((n) => n !== ifname);
  const ownedPairs = owned.map((o) => o.iface);
  const remembered = [...ctx.written]
    .filter(([m, n]) => !ownedPairs.some((o) => normalizeMac(o.macAddress) === m || o.name === n))
    .map(([macAddress, n]) => ({ macAddress, name: n }));
  const name = allocateName(mac, [...ownedPairs, ...remembered], [...hostNames, ...strangers.map((f) => backend.interfaceNameOf(f)!)]);
  const iface = configuredInterface({ ...data, macAddress: mac }, name, origin);
  const content = backend.render(iface);
  const file = backend.fileNameFor(name);
  const replaced = owned.filter((o) => o.file !== file && (o.iface.portId === data.portId || normalizeMac(o.iface.macAddress) === mac));
  const current = owned.find((o) => o.file === file);

  // The NIC already carrying its name is the proof the file was applied, not just written (a crash in between).
  let unchanged = false;
  if (current && current.iface.portId === data.portId && replaced.length === 0 && ifname === name) {
    if (current.content.equals(content)) unchanged = true;
    else if (backend.sameEffect(current.content, content) && sameContent(current.iface, iface)) {
      // Only MultiNIC's bookkeeping (generation, origin) differs: the system would see no change, so nothing is written.
      // A content change the rendered file does not show (a DHCP port's subnet CIDR) still rewrites it: the Node shows it.
      ctx.log.debug({ portId: data.portId, interface: name }, `${backend.name} content unchanged; keeping the file as it is`);
      unchanged = true;
    }
  }
  return { mac, ifname, name, iface, content, file, replaced, current, unchanged };
}
