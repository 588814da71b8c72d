/**
 * Builds core/catalog/builtin/items.json from the hand-written tables in scripts/catalog/builtin/.
 *
 *   npx tsx scripts/catalog/build-builtin.ts          # write the file
 *   npx tsx scripts/catalog/build-builtin.ts --check  # fail if the file is out of date
 *
 * Also enforces the content rules (title 30–90 chars, summary 80–220, 2–5 tags, unique ids/urls).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { builtinRowSchema } from '../../core/catalog/schema.js';
import { buildBuiltinRows } from './builtin/index.js';

const OUT = fileURLToPath(new URL('../../core/catalog/builtin/items.json', import.meta.url));

function contentProblems(): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const urls = new Set<string>();
  for (const { row } of buildBuiltinRows()) {
    const where = `${row.id} (${row.title.slice(0, 30)}…)`;
    const parsed = builtinRowSchema.safeParse(row);
    if (!parsed.success) problems.push(`${where}: schema: ${parsed.error.issues[0]?.message ?? '?'}`);
    if (row.title.length < 30 || row.title.length > 90) problems.push(`${where}: title length ${row.title.length}`);
    if (row.summary.length < 80 || row.summary.length > 220)
      problems.push(`${where}: summary length ${row.summary.length}`);
    const tags = row.tags ?? [];
    if (tags.length < 2 || tags.length > 5) problems.push(`${where}: ${tags.length} tags`);
    if (ids.has(row.id)) problems.push(`${where}: duplicate id`);
    if (urls.has(row.url)) problems.push(`${where}: duplicate url ${row.url}`);
    ids.add(row.id);
    urls.add(row.url);
  }
  return problems;
}

async function render(): Promise<string> {
  const rows = buildBuiltinRows().map((b) => b.row);
  const config = (await prettier.resolveConfig(OUT)) ?? {};
  return prettier.format(JSON.stringify(rows), { ...config, parser: 'json', filepath: OUT });
}

async function main(): Promise<void> {
  const problems = contentProblems();
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    console.error(`${problems.length} problem(s); items.json not written`);
    process.exit(1);
  }
  const text = await render();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUT, 'utf8');
    } catch {
      // missing file: out of date
    }
    if (current !== text) {
      console.error(`${OUT} is out of date; run: npx tsx scripts/catalog/build-builtin.ts`);
      process.exit(1);
    }
    console.log('items.json is up to date');
    return;
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${buildBuiltinRows().length} rows to ${OUT}`);
}

await main();
