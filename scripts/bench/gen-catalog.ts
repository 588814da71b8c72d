/**
 * `npm run bench:gen-catalog -- --n 100000 --out /tmp/catalog-100k.json` — writes a generated catalog in the
 * built-in catalog format, for `CATALOG_PATH` (see scripts/bench/catalog-gen.ts).
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateRows } from './catalog-gen.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    out: { type: 'string' },
    seed: { type: 'string', default: '42' },
  },
});
if (!values.out) {
  process.stderr.write('usage: bench:gen-catalog -- --n 100000 --out catalog.json [--seed 42]\n');
  process.exit(2);
}
const rows = generateRows(Number(values.n), Number(values.seed));
const out = createWriteStream(values.out);
out.write('[\n');
rows.forEach((row, i) => out.write(`${JSON.stringify(row)}${i + 1 < rows.length ? ',' : ''}\n`));
out.end(']\n');
await new Promise<void>((resolve, reject) => out.on('finish', resolve).on('error', reject));
process.stdout.write(`wrote ${rows.length} rows to ${values.out}\n`);
