import { reasonOf } from '../errors/classify.js';
import { contentDigest } from '../events/build.js';
import type { InterfaceEvent } from '../events/types.js';
import { computeNodeState } from './node-state.js';
import { unaccountedRows } from './patch-node.js';
import type { AgentPorts } from '../model/ports.js';

/**
 * What the agent does when an event has failed for good (the queue trigger's
 * onFinalFailure, just before it dead-letters): the port's row in multinic_port_state
 * shows 'failed' with the reason, and the Node is patched ready=false with the reason in
 * `multinic.io/last-error`. Each step is attempted even when the other fails (a broken
 * database must not hide the failure from Kubernetes, nor the reverse); afterwards the
 * first error is thrown, wrapped, for the trigger to log once.
 */
export async function recordFailure(event: InterfaceEvent, err: unknown, ports: AgentPorts): Promise<void> {
  const reason = reasonOf(err);
  const data = event.data;
  const errors: unknown[] = [];
  try {
    await ports.store.recordOutcome({
      portId: data.portId,
      nodeName: ports.node.dbName,
      generation: data.generation,
      contentDigest: contentDigest({ ...data, nodeName: ports.node.dbName }),
      outcome: 'failed',
      interfaceName: null,
      lastError: reason,
      eventId: event.id,
    });
  } catch (e) {
    errors.push(e);
  }
  try {
    // The recorded failure shows through the port's row; an event with no row (external
    // tooling) or a database that is away needs the reason passed explicitly.
    const configured = await ports.host.listConfigured();
    const nodePorts = await ports.store.listNodePorts(ports.node.dbName).catch((e: unknown) => {
      errors.push(e);
      return undefined;
    });
    const shown = nodePorts?.rows.some((r) => r.portId === data.portId && !r.deleted && r.lastFailure && r.lastFailure.generation >= r.generation);
    const unaccounted = nodePorts ? await unaccountedRows(ports, nodePorts, configured) : [];
    const state = computeNodeState({ ports: nodePorts, configured, extraErrors: [...(shown ? [] : [`port ${data.portId}: ${reason}`]), ...unaccounted] });
    await ports.nodes.patchInterfaces(ports.node.kubeName, state);
  } catch (e) {
    errors.push(e);
  }
  if (errors.length > 0) {
    throw new Error(`recording the failure of event ${event.id} (port ${data.portId}) failed: ${reasonOf(errors[0])}`, { cause: errors[0] });
  }
}
