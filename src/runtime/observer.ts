/** Why a message ended in multinic.dead. */
export const DeadLetterReason = {
  /** Failed parsing or validation; dead-lettered by the trigger with x-multinic-error. */
  Invalid: 'invalid',
  /** The handler failed permanently; dead-lettered by the trigger with x-multinic-error. */
  Permanent: 'permanent',
  /** Kept failing transiently; the broker dead-lettered it at x-delivery-limit. */
  DeliveryLimit: 'delivery-limit',
} as const;
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

/**
 * What the queue trigger reports about each message, for whoever subscribes (the
 * composition root hangs the Prometheus metrics here). The runtime knows no metric;
 * every method is optional and must not throw. `kind` is the caller's label for the
 * message (the agent: `attach` / `detach`, or `unknown` for a body that did not parse).
 */
export interface DeliveryObserver {
  /** One handler invocation (one try) ended, `ok` or not, after `seconds`. */
  attempted?(e: { kind: string; ok: boolean; seconds: number }): void;
  /** A transient failure is retried in process after `delayMs` (`attempt` is 1-based). */
  retrying?(e: { kind: string; attempt: number; delayMs: number }): void;
  /**
   * The message was settled: `outcome` is the handler's result, or the trigger's
   * (`invalid`, `dead-lettered`, `requeued`); `deadLetter` says why when it ends in
   * multinic.dead (by the trigger's copy, or by the broker at the delivery limit).
   */
  settled?(e: { kind: string; outcome: string; deadLetter?: DeadLetterReason }): void;
}
