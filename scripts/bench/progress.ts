/**
 * A one-line progress bar on stderr, redrawn in place (`\r`), so a long phase shows it is
 * moving without a dependency. On a non-TTY stderr it prints one line per 10 % instead.
 */
export class Progress {
  private lastDecile = -1;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, extra = ''): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round(frac * width);
      this.out.write(`\r  ${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${secs}s ${extra}\x1b[K`);
      return;
    }
    const decile = Math.floor(frac * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.out.write(`  ${this.label}: ${done}/${this.total} (${decile * 10}%) ${secs}s ${extra}\n`);
    }
  }

  done(extra = ''): void {
    this.update(this.total, extra);
    if (this.out.isTTY) this.out.write('\n');
  }
}

/** One phase heading on stderr. */
export function phase(text: string): void {
  process.stderr.write(`\n== ${text}\n`);
}
