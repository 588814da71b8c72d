/**
 * The evaluation commands' errors: one line naming the flag or value and the valid choices, no stack trace.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CliError, nameList, numberList, numberOpt, parseCli, positiveOpt } from '../../core/eval/cli.js';

const run = promisify(execFile);
const tsx = path.resolve('node_modules/.bin/tsx');

async function cli(script: string, args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const r = await run(tsx, [script, ...args], {
      env: { ...process.env, DATA_DIR: path.resolve('tests/.tmp/eval-cli') },
      timeout: 60_000,
    });
    return { code: 0, stderr: r.stderr, stdout: r.stdout };
  } catch (e) {
    const x = e as { code: number; stderr: string; stdout: string };
    return { code: x.code, stderr: x.stderr, stdout: x.stdout };
  }
}

describe('evaluation CLI errors', () => {
  it('GIVEN bad options THEN each helper throws one line naming the flag, the value and the valid choices', () => {
    const msg = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(CliError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(msg(() => parseCli({ dataset: { type: 'string' } }, ['--lr', '3']))).toBe(
      'unknown option --lr; valid options: --dataset',
    );
    expect(msg(() => parseCli({ k: { type: 'string' } }, ['--k']))).toMatch(/^option --k needs a value/);
    expect(msg(() => nameList('models', 'pop,sasrc', ['pop', 'sasrec'] as const))).toBe(
      '--models: unknown "sasrc"; valid: all, pop, sasrec',
    );
    expect(msg(() => numberList('seeds', '0,1,x', { integer: true, min: 0 }))).toMatch(/--seeds "0,1,x": "x"/);
    expect(msg(() => numberOpt('budget', '-3', { min: 1 }))).toBe('--budget "-3" is not valid; it takes a number ≥ 1');
    expect(msg(() => positiveOpt('four'))).toMatch(
      /--positive "four" is not valid; it takes all .* or a rating threshold/,
    );
    expect(nameList('models', 'all', ['a', 'b'] as const)).toEqual(['a', 'b']);
    expect(positiveOpt('3.5')).toBe(3.5);
  });

  it('GIVEN npm run eval with an unknown flag, an unknown model or a missing dataset THEN one line on stderr, no stack trace', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--lr', '0.1'], 2, /^error: unknown option --lr; valid options: --dataset, /],
      [['--models', 'pop,sasrc'], 2, /^error: --models: unknown "sasrc"; valid: all, random, pop/],
      [
        ['--dataset', 'tests/.tmp/eval-cli/none', '--models', 'pop'],
        1,
        /^error: --dataset .*none: no such dataset or folder\. --dataset takes .*npm run data:pull -- movielens-100k/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => cli('scripts/eval.ts', args)));
    results.forEach((r, i) => {
      const [, code, re] = cases[i]!;
      expect(r.code).toBe(code);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }, 120_000);
});
