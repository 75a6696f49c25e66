import { reasonOf } from '../errors/classify.js';
import { RefusedError, RolledBackError, RolledBackTransientError } from '../errors/errors.js';
import type { InterfaceEvent } from '../events/types.js';
import type { Log } from '../log/logger.js';
import type { HandlerOutcome, NodeEvent, NodeEventRecorder } from '../model/ports.js';

/**
 * Which Kubernetes Event tells the story of one event's outcome (docs/DESIGN.md, "Safety
 * on a shared host": configured, refused, failed, rolled back). Reasons are UpperCamelCase
 * as Kubernetes' own are; a no-op (unchanged, absent, stale) records nothing.
 */
export const EventReason = {
  Configured: 'InterfaceConfigured',
  Removed: 'InterfaceRemoved',
  Refused: 'InterfaceRefused',
  RolledBack: 'InterfaceRolledBack',
  Failed: 'InterfaceFailed',
  Claimed: 'InterfaceClaimed',
} as const;

const what = (event: InterfaceEvent) => `port ${event.data.portId} (MAC ${event.data.macAddress}, subnet ${event.data.cidr}${event.data.address ? `, address ${event.data.address}` : ''})`;

/** The Event for a handled event, or undefined when nothing changed. */
export function eventForOutcome(event: InterfaceEvent, outcome: HandlerOutcome): NodeEvent | undefined {
  if (outcome.result === 'configured') return { type: 'Normal', reason: EventReason.Configured, message: `${what(event)} configured as ${outcome.interfaceName}` };
  if (outcome.result === 'removed') return { type: 'Normal', reason: EventReason.Removed, message: `${what(event)} removed from ${outcome.interfaceName}` };
  return undefined;
}

/** The Event for an event that failed for good: refused (nothing touched), rolled back, or failed. */
export function eventForFailure(event: InterfaceEvent, err: unknown): NodeEvent {
  // The message alone (no error class) reads as a sentence in `kubectl describe node`.
  const reason = (err instanceof Error ? err.message : String(err)).replace(/[\r\n]+/g, ' ');
  if (err instanceof RefusedError) return { type: 'Warning', reason: EventReason.Refused, message: `${what(event)} refused: ${reason}` };
  if (err instanceof RolledBackError || err instanceof RolledBackTransientError) {
    return { type: 'Warning', reason: EventReason.RolledBack, message: `${what(event)}: ${reason}` };
  }
  return { type: 'Warning', reason: EventReason.Failed, message: `${what(event)} failed: ${reason}` };
}

/** Records an Event; a failure is logged and swallowed, so an Event never decides an event's fate. */
export async function recordNodeEvent(recorder: NodeEventRecorder, node: string, e: NodeEvent, log: Pick<Log, 'warn'>): Promise<void> {
  try {
    await recorder.record(node, e);
  } catch (err) {
    log.warn({ reason: reasonOf(err), event: e.reason }, 'could not record the Kubernetes Event on the Node');
  }
}
