/**
 * Runs async tasks one at a time, in call order. The agent passes every event handler
 * invocation and every resync through one of these, so the host changes and the
 * database writes of the two never interleave (a resync must not mark a row configured
 * between an event's apply and its own write-back). A task's failure reaches its caller
 * only; the next task still runs.
 */
export type Serializer = <T>(task: () => Promise<T>) => Promise<T>;

export function createSerializer(): Serializer {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
