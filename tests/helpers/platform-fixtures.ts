/**
 * Platform payload fixtures (tests/fixtures/platform/<platform>/*.json): real update / gateway shapes,
 * each file `{ source, reconstructed, payload }` — `source` names the documentation (or recorded shape) it
 * follows, `reconstructed` says what was filled in. Ids that depend on the test (the bot, the chat, the
 * message the bot sent) are `{{NAME}}` placeholders: a string that is exactly a placeholder becomes the
 * value (a number stays a number, an object an object), one inside a longer string is replaced in the text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PlatformFixture<T = Record<string, unknown>> {
  source: string;
  reconstructed: string;
  payload: T;
}

function fill(v: unknown, vars: Record<string, unknown>): unknown {
  if (typeof v === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(v);
    if (whole) {
      if (!(whole[1]! in vars)) throw new Error(`fixture placeholder {{${whole[1]}}} has no value`);
      return vars[whole[1]!];
    }
    return v.replace(/\{\{(\w+)\}\}/g, (m, k: string) => {
      if (!(k in vars)) throw new Error(`fixture placeholder ${m} has no value`);
      return String(vars[k]);
    });
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, vars)]));
  return v;
}

/** Loads `tests/fixtures/platform/<platform>/<name>.json` with its placeholders filled. */
export function platformFixture<T = Record<string, unknown>>(
  platform: 'telegram' | 'discord',
  name: string,
  vars: Record<string, unknown> = {},
): PlatformFixture<T> {
  const raw = JSON.parse(
    readFileSync(join('tests/fixtures/platform', platform, `${name}.json`), 'utf8'),
  ) as PlatformFixture<unknown>;
  if (!raw.source || !raw.reconstructed) throw new Error(`${platform}/${name}.json must say its source`);
  return { ...raw, payload: fill(raw.payload, vars) as T };
}
