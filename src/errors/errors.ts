/**
 * The error hierarchy every part of MultiNIC throws. A failure is classified once, by
 * type, in `classify.ts`; only the queue trigger turns that verdict into ack / retry /
 * dead-letter. Always pass `{ cause }` when wrapping so the original survives in logs.
 */

/** A failure that will not go away by retrying: bad input, a refused operation, a 4xx. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/** A failure that may succeed later: a dropped connection, a timeout, a 5xx, a 409. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** An event that does not satisfy the contract (schema, MAC, CIDR, node, size). */
export class InvalidEventError extends PermanentError {
  override name = 'InvalidEventError';
}

/** A configuration file or variable that is missing or malformed; `key` names it. */
export class ConfigError extends PermanentError {
  override name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${key}: ${message}`, options);
  }
}

/** A database row that cannot become an event (bad MAC, CIDR, address, unknown subnet). */
export class InvalidRowError extends PermanentError {
  override name = 'InvalidRowError';
  constructor(
    readonly portId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`port ${portId}: ${message}`, options);
  }
}

/** The host refused a change (netplan invalid, NIC missing or owned by someone else). */
export class HostError extends PermanentError {
  override name = 'HostError';
}

/** A host condition that may clear by itself (NIC not plugged yet, apply timed out). */
export class HostTransientError extends TransientError {
  override name = 'HostTransientError';
}

/**
 * An event for a routing key no node queue carries: refused before publishing, so no
 * queue is created for a name that is not a node (and nothing is lost: the caller keeps it).
 */
export class UnroutableError extends PermanentError {
  override name = 'UnroutableError';
}

/**
 * The host refused a change because of what else is on the node (an overlapping subnet,
 * another owner of the NIC, two NICs with one MAC): permanent, and nothing was touched.
 */
export class RefusedError extends HostError {
  override name = 'RefusedError';
}

/** A change was applied, failed its checks, and the previous configuration was restored and applied again. */
export class RolledBackError extends HostError {
  override name = 'RolledBackError';
}

/** {@link RolledBackError} whose cause may clear by itself (an apply timeout): retried. */
export class RolledBackTransientError extends HostTransientError {
  override name = 'RolledBackTransientError';
}
