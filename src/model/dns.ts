/** The first DNS label: `worker-1` for `worker-1.novalocal`. */
export function firstLabel(name: string): string {
  const dot = name.indexOf('.');
  return dot === -1 ? name : name.slice(0, dot);
}
