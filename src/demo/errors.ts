import { PermanentError } from '../errors/errors.js';

/** The demo did not finish: timed out, interrupted, a role failed, or the mode asked for cannot run here. */
export class DemoFailedError extends PermanentError {
  override name = 'DemoFailedError';
}
