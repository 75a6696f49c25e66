/**
 * Runs async tasks one at a time, in call order: the one lock discipline of MultiNIC,
 * written once. The agent's composition root makes one per node and passes it to the
 * queue trigger (every delivery, handler and failure record included) and to the
 * resync, so the host changes and database writes of the two never interleave (a resync
 * must not mark a row configured between an event's apply and its own write-back). The
 * host backend keeps one of its own around each file change. A task's failure reaches
 * its caller only; the next task still runs.
 */
export interface Serializer {
  <T>(task: () => Promise<T>): Promise<T>;
  /** Resolves once every task queued so far, and any queued while waiting, has settled. */
  idle(): Promise<void>;
}

export function createSerializer(): Serializer {
  let tail: Promise<unknown> = Promise.resolve();
  const run = <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
  const idle = async (): Promise<void> => {
    for (let seen: Promise<unknown> | undefined; seen !== tail; ) {
      seen = tail;
      await seen;
    }
  };
  return Object.assign(run, { idle });
}
