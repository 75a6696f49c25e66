import { distance } from 'fastest-levenshtein';

/**
 * Up to `max` of `known` closest to `name` by Levenshtein distance (ties alphabetical),
 * only those within half the name's length: a mistyped or differently spelled node name
 * (`worker-01` for `worker-1`) finds its row; an unrelated list suggests nothing.
 */
export function nearestNames(name: string, known: readonly string[], max = 3): string[] {
  const limit = Math.max(2, Math.ceil(name.length / 2));
  return [...new Set(known)]
    .map((k) => ({ k, d: distance(name.toLowerCase(), k.toLowerCase()) }))
    .filter(({ d }) => d <= limit)
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, max)
    .map(({ k }) => k);
}

/** The one plain line an agent logs when node_table does not know its node. */
export function unknownNodeMessage(dbName: string, known: readonly string[]): string {
  const near = nearestNames(dbName, known);
  const hint = near.length
    ? `nearest known names: ${near.join(', ')} — if one of them is this node, set NODE_DB_NAME to it`
    : known.length
      ? `no known name is close (node_table has ${known.length}: ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', …' : ''})`
      : 'node_table is empty';
  return `this node is not in node_table: no live row has attached_node_name ${JSON.stringify(dbName)}; ${hint}; or add the node to node_table. Until then no event is published for it and resync removes nothing`;
}
