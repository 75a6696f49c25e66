import { InvalidEventError } from '../../errors/errors.js';
import { ACCEPTED_FORM } from '../../events/accepted-forms.js';
import { buildEvent, dataProblems, EventType, isInvalid, macFromText, validateEvent, type InterfaceEvent, type InterfaceEventData } from '../../events/index.js';
import type { InterfaceRowWithSubnet } from '../../model/row-data.js';
import { DETACH_FILLABLE, PUBLISH_SOURCE, type PublishFlags } from './publish-flags.js';

/** Which flag sets each data field, so a problem names what the user typed. */
export const FLAG_OF: Readonly<Record<keyof InterfaceEventData, string>> = {
  nodeName: '--node',
  portId: '--port',
  macAddress: '--mac',
  subnetId: '--subnet-id',
  subnetName: '--subnet-name',
  networkId: '--network-id',
  cidr: '--cidr',
  address: '--address',
  mtu: '--mtu',
  crNamespace: '--cr-namespace',
  crName: '--cr-name',
  generation: '--generation',
};

/** The flags' event is invalid; `problems` holds every problem, one line each, with the accepted form. */
export class FlagProblemsError extends InvalidEventError {
  override name = 'FlagProblemsError';
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

const problemLine = (field: keyof InterfaceEventData, reason: string) => `${FLAG_OF[field]} ${reason}; accepted: ${ACCEPTED_FORM[field]}`;

function integerFlag(field: 'mtu' | 'generation', text: string | undefined, problems: string[]): number | null | undefined {
  if (text === undefined) return undefined;
  if (/^\d{1,16}$/.test(text.trim())) return Number(text.trim());
  problems.push(problemLine(field, `must be a non-negative integer, got ${JSON.stringify(text)}`));
  return null;
}

/**
 * A detach's flags completed from the port's row (MAC, subnet, network, CIDR, and the
 * informational fields) wherever a flag was omitted; flags given win. Without a row it
 * returns the flags as they are, so validation names each missing flag.
 */
export function fillDetachFromRow(flags: PublishFlags, row: InterfaceRowWithSubnet | undefined): PublishFlags {
  if (!row) return flags;
  const pick = <T>(given: T | undefined, fromRow: unknown): T | undefined => (given !== undefined ? given : fromRow === null || fromRow === undefined ? undefined : (String(fromRow) as T));
  return {
    ...flags,
    mac: pick(flags.mac, row.macaddress),
    subnetId: pick(flags.subnetId, row.subnet_id),
    subnetName: pick(flags.subnetName, row.subnet_name),
    networkId: pick(flags.networkId, row.network_id),
    cidr: pick(flags.cidr, row.cidr),
    address: pick(flags.address, row.address),
    mtu: pick(flags.mtu, row.mtu),
    crNamespace: pick(flags.crNamespace, row.cr_namespace),
    crName: pick(flags.crName, row.cr_name),
  };
}

/** True when a detach's flags lack something only the row can give. */
export const detachNeedsRow = (flags: PublishFlags): boolean => DETACH_FILLABLE.some((f) => flags[f] === undefined);

/**
 * Turns the flags into a validated event with the same builder and validator the
 * publisher and agent use. The MAC may be written in any common form (macFromText) and is
 * sent in colon form. Throws a FlagProblemsError listing EVERY problem, each naming its
 * flag and the accepted form. `generation` defaults to `now()` in milliseconds, so an
 * event sent by hand is newer than any row version already applied.
 */
export function eventFromFlags(action: 'attach' | 'detach', flags: PublishFlags, now: () => Date = () => new Date()): InterfaceEvent {
  const problems: string[] = [];
  const mtu = integerFlag('mtu', flags.mtu, problems);
  const generation = integerFlag('generation', flags.generation, problems);
  let macAddress = flags.mac;
  if (macAddress !== undefined) {
    const mac = macFromText(macAddress);
    if (isInvalid(mac)) problems.push(problemLine('macAddress', mac.error.replace(/^".*" is/, `${JSON.stringify(macAddress)} is`)));
    else macAddress = mac;
  }
  const data = {
    nodeName: flags.node,
    portId: flags.port,
    macAddress,
    subnetId: flags.subnetId,
    subnetName: flags.subnetName ?? '',
    networkId: flags.networkId,
    cidr: flags.cidr,
    address: flags.address === undefined || flags.address === '' ? null : flags.address,
    mtu: mtu ?? null,
    crNamespace: flags.crNamespace ?? null,
    crName: flags.crName ?? null,
    generation: generation ?? now().getTime(),
  } as InterfaceEventData;
  // A flag already reported (bad integer, unreadable MAC) is not reported twice.
  const reported = new Set(problems.map((p) => p.split(' ')[0]));
  for (const p of dataProblems(data)) {
    const line = p.field ? problemLine(p.field, p.reason) : `the flags ${p.reason}`;
    if (!reported.has(line.split(' ')[0])) problems.push(line);
  }
  if (problems.length) throw new FlagProblemsError(problems);
  const type = action === 'attach' ? EventType.Attach : EventType.Detach;
  return validateEvent(buildEvent(type, data, { source: flags.source ?? PUBLISH_SOURCE, now }));
}
