/** Errors the network lab throws. Every message says what failed and, where it can, what to do. */

/** Base class: anything the lab itself could not do. */
export class LabError extends Error {
  override name = 'LabError';
}

/**
 * The lab cannot run on this machine at all: not root, no network namespaces, or a binary it
 * needs is missing. Tests let it fail the test with this message rather than skip.
 */
export class LabUnavailableError extends LabError {
  override name = 'LabUnavailableError';
}

/** A command the lab ran exited non-zero (or was killed); carries its argv, code and stderr. */
export class LabCommandError extends LabError {
  override name = 'LabCommandError';
  constructor(
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`\`${argv.join(' ')}\` exited ${code ?? 'by a signal'}${stderr.trim() ? `: ${stderr.trim().slice(0, 2000)}` : ''}`, options);
  }
}
