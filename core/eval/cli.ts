/**
 * Argument checking for the evaluation commands (`npm run eval`, `tune`, `train`): every problem is a `CliError` whose
 * message is ONE line naming the flag or value and the valid choices; `runCli` prints it (no stack trace) and exits
 * with status 2. Dataset problems (`RecoError`) print their message — which says what to do — on one line, status 1
 * (not the code's generic operator hint: "corrupt row" is wrong for a folder that is simply missing).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isRecoError } from '../errors.js';
import type { Positive } from './datasets.js';

export class CliError extends Error {
  override readonly name = 'CliError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` with strict checking, its errors turned into one-line `CliError`s listing the known flags. */
export function parseCli<O extends Options>(
  options: O,
  argv: string[] = process.argv.slice(2),
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ options: O; allowPositionals: boolean; strict: true; args: string[] }>> {
  try {
    return parseArgs({ options, args: argv, allowPositionals, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const flags = Object.keys(options)
      .map((k) => `--${k}`)
      .join(', ');
    const flag = /'(-[^']*)'/.exec(err.message)?.[1] ?? '';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new CliError(`unknown option ${flag.split(' ')[0]}; valid options: ${flags}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new CliError(`option ${flag.split(' ')[0] || '?'} needs a value; valid options: ${flags}`);
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new CliError(
        `unexpected argument ${JSON.stringify(/'([^']*)'/.exec(err.message)?.[1] ?? '')}; valid options: ${flags}`,
      );
    throw new CliError(err.message.split('\n')[0]!);
  }
}

/** One value of a fixed set. */
export function choice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new CliError(`--${flag} ${JSON.stringify(value)} is not valid; choose one of: ${choices.join(', ')}`);
}

/** A number within bounds (integer when asked). */
export function numberOpt(
  flag: string,
  value: string,
  o: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const n = Number(value);
  const what = `${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}${o.max !== undefined ? ` ≤ ${o.max}` : ''}`;
  if (
    value.trim() === '' ||
    !Number.isFinite(n) ||
    (o.integer && !Number.isInteger(n)) ||
    (o.min !== undefined && n < o.min) ||
    (o.max !== undefined && n > o.max)
  )
    throw new CliError(`--${flag} ${JSON.stringify(value)} is not valid; it takes ${what}`);
  return n;
}

/** A comma list of numbers (`--k 5,10`, `--seeds 0,1,2`). */
export function numberList(
  flag: string,
  value: string,
  o: { min?: number; max?: number; integer?: boolean } = {},
): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => p === ''))
    throw new CliError(`--${flag} ${JSON.stringify(value)} is not valid; it takes a comma list like 0,1,2`);
  return parts.map((p) => {
    try {
      return numberOpt(flag, p, o);
    } catch {
      throw new CliError(
        `--${flag} ${JSON.stringify(value)}: ${JSON.stringify(p)} is not valid; it takes a comma list of ${o.integer ? 'integers' : 'numbers'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}`,
      );
    }
  });
}

/** `--positive all` or a rating threshold. */
export function positiveOpt(value: string): Positive {
  if (value === 'all') return 'all';
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n) && n > 0) return n;
  throw new CliError(
    `--positive ${JSON.stringify(value)} is not valid; it takes all (every rating is a positive) or a rating threshold such as 4`,
  );
}

/** A comma list of names from `choices` (`all` = every choice). */
export function nameList<T extends string>(flag: string, value: string, choices: readonly T[]): T[] {
  if (value.trim() === 'all') return [...choices];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(choices as readonly string[]).includes(n));
  if (bad.length || !names.length)
    throw new CliError(
      `--${flag}: unknown ${bad.length ? bad.map((b) => JSON.stringify(b)).join(', ') : 'empty list'}; valid: all, ${choices.join(', ')}`,
    );
  return names as T[];
}

/** Runs a command's main: a CliError or RecoError becomes one line on stderr, anything else the full error. */
export function runCli(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    if (e instanceof CliError) {
      console.error(`error: ${e.message}`);
      process.exit(2);
    }
    if (isRecoError(e)) {
      console.error(`error: ${e.message}`);
      process.exit(1);
    }
    console.error(e);
    process.exit(1);
  });
}
