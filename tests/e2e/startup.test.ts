/** Start-up faults: the process exits with a message that names the setting to fix; secrets never printed. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(join(process.cwd(), 'tests/.tmp/startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function start(env: Record<string, string>, input = '/status\n') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bots/main.ts'], {
    env: {
      ...process.env,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      DISCORD_TOKEN: '',
      TELEGRAM_TOKEN: '',
      REDIS_URL: '',
      DATA_DIR: join(tmp, 'data'),
      ...env,
    },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('start-up faults', () => {
  it('GIVEN DATA_DIR is a file THEN it exits and names DATA_DIR', () => {
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = start({ DATA_DIR: file });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/DATA_DIR/);
  });

  it('GIVEN a Redis URL nobody listens on THEN it exits, names REDIS_URL and hides the password', () => {
    const r = start({ REDIS_URL: 'redis://user:hunter2-secret@127.0.0.1:1' });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/REDIS_URL/);
    expect(r.err + r.out).not.toContain('hunter2-secret');
  });

  it('GIVEN a corrupt catalog file THEN it exits with CATALOG_CORRUPT naming the file', () => {
    const bad = join(tmp, 'catalog.json');
    writeFileSync(bad, '[{"id": "x", "title": ');
    const r = start({ CATALOG_PATH: bad, DATA_DIR: join(tmp, 'data-corrupt') });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/CATALOG_CORRUPT|catalog/i);
    expect(r.err).toContain('catalog.json');
  });

  it('GIVEN an invalid setting THEN it exits and names the variable', () => {
    const r = start({ RECO_DEFAULT_COUNT: 'lots', DIGEST_DEFAULT_TZ: 'Mars/Olympus' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/RECO_DEFAULT_COUNT/);
    expect(r.err).toMatch(/DIGEST_DEFAULT_TZ/);
  });

  it('GIVEN a token in the environment THEN it never appears in the logs', () => {
    const r = start({
      LLM_API_KEY: 'sk-test-not-a-real-key-000000',
      LOG_LEVEL: 'debug',
      DATA_DIR: join(tmp, 'data-secret'),
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain('Catalog');
    expect(r.err + r.out).not.toContain('sk-test-not-a-real-key-000000');
  });
});
