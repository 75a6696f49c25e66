// Prints the README's configuration reference from src/config/keys.ts, the single table
// of keys. Run `npx tsx scripts/config-reference.ts` and paste between the README markers;
// test/unit/readme.test.ts fails when the README and the table disagree.
import { KEYS } from '../src/config/keys.js';

function show(v: unknown): string {
  if (v === undefined) return '—';
  if (Array.isArray(v)) return `\`${JSON.stringify(v)}\``;
  if (v === '') return '`""`';
  return `\`${String(v)}\``;
}

const rows = KEYS.map((k) => `| \`${k.path}\` | \`${k.env}\` | ${k.path === 'db.password' ? '(empty)' : show(k.default)}${k.secret ? ' (secret: never logged)' : ''} | ${k.doc.replace(/\|/g, '\\|')} |`);
process.stdout.write(['| YAML key | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n') + '\n');
