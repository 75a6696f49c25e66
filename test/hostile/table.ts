/**
 * Prints a results table for a suite's reader (and for RELIABILITY.md): fixed-width
 * columns, long cells cut with an ellipsis, one line per row.
 */
export function formatTable(title: string, headers: string[], rows: Array<Array<string | number>>, maxCell = 70): string {
  const cells = rows.map((r) => r.map((c) => {
    const s = String(c).replace(/[\r\n\t]+/g, ' ');
    return s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s;
  }));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    `\n  ${title}`,
    line(headers),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map(line),
    '',
  ].join('\n');
}

/** Writes the table to stdout (mocha's reporter output stays readable around it). */
export function printTable(title: string, headers: string[], rows: Array<Array<string | number>>, maxCell?: number): void {
  process.stdout.write(`${formatTable(title, headers, rows, maxCell)}\n`);
}
