/**
 * The lint guard of the layers, tested itself: ESLint's `no-restricted-imports` on core/ must catch an
 * outer folder at any depth (the old `../bots/*` pattern missed `../../bots/…` from core/llm, core/eval,
 * core/catalog), and dependency-cruiser's rules must hold on the tree as it is.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restricted(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer guard', () => {
  it('GIVEN a deep relative import of bots/ from core/llm THEN ESLint reports it', async () => {
    const msgs = await restricted(
      "import { startTelegram } from '../../bots/telegram/index.js';\nvoid startTelegram;\n",
      'core/llm/guard-fixture.ts',
    );
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/outer folders/);
  });

  it('GIVEN imports of every outer folder, at depths one to three THEN each is reported', async () => {
    for (const folder of ['app', 'bots', 'infra', 'models', 'scrapers', 'scripts', 'dashboard']) {
      for (const [file, up] of [
        ['core/guard-fixture.ts', '../'],
        ['core/eval/guard-fixture.ts', '../../'],
        ['core/catalog/builtin/guard-fixture.ts', '../../../'],
      ] as const) {
        const msgs = await restricted(`import { x } from '${up}${folder}/any/module.js';\nvoid x;\n`, file);
        expect(msgs, `${file} → ${up}${folder}`).toHaveLength(1);
      }
    }
  });

  it('GIVEN a platform or driver library in core THEN ESLint reports it; GIVEN a core-internal import THEN not', async () => {
    expect(
      await restricted("import { Bot } from 'grammy';\nvoid Bot;\n", 'core/recommend/guard-fixture.ts'),
    ).toHaveLength(1);
    expect(await restricted("import Keyv from 'keyv';\nvoid Keyv;\n", 'core/store/guard-fixture.ts')).toHaveLength(1);
    expect(
      await restricted("import { t } from '../../messages.js';\nvoid t;\n", 'core/digest/deep/guard-fixture.ts'),
    ).toEqual([]);
  });

  it('GIVEN the same deep import outside core THEN the core rule does not apply', async () => {
    expect(
      await restricted("import { x } from '../../bots/x.js';\nvoid x;\n", 'scripts/bench/guard-fixture.ts'),
    ).toEqual([]);
  });

  it('GIVEN a tree that breaks the layers and has a cycle THEN dependency-cruiser names each violation', () => {
    // A small tree in the repository's layout, cruised with the repository's own rules.
    const root = mkdtempSync(join(process.cwd(), 'tests/.tmp/layers-'));
    try {
      const files: Record<string, string> = {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
        'core/deep/inner.ts': "import { a } from '../../bots/adapter.js';\nexport const inner = a;\n",
        'bots/adapter.ts': 'export const a = 1;\n',
        'models/model.ts': "import { sink } from '../scrapers/sink.js';\nexport const m = sink;\n",
        'scrapers/sink.ts': 'export const sink = 2;\n',
        'scripts/cli.ts': "import { a } from '../bots/adapter.js';\nexport const c = a;\n",
        'app/one.ts': "import { two } from './two.js';\nexport const one = () => two;\n",
        'app/two.ts': "import { one } from './one.js';\nexport const two = () => one;\n",
      };
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        writeFileSync(join(root, file), text);
      }
      let out = '';
      try {
        execFileSync(
          process.execPath,
          [
            join(process.cwd(), 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
            'core',
            'app',
            'bots',
            'models',
            'scrapers',
            'scripts',
            '--config',
            join(process.cwd(), '.dependency-cruiser.cjs'),
            '--output-type',
            'err',
          ],
          { cwd: root, encoding: 'utf8', stdio: 'pipe' },
        );
      } catch (e) {
        out = String((e as { stdout?: string }).stdout ?? '');
      }
      expect(out).toMatch(/error core: core\/deep\/inner\.ts → bots\/adapter\.ts/);
      expect(out).toMatch(/error models: models\/model\.ts → scrapers\/sink\.ts/);
      expect(out).toMatch(/error scripts: scripts\/cli\.ts → bots\/adapter\.ts/);
      expect(out).toMatch(/error no-circular[^:]*: app\/(one|two)\.ts/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
