/**
 * Serializes async sections in this process: an event and the periodic resync may
 * both reach the host at once, and two netplan changes must never interleave.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier call has settled; a failure does not block later calls. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
