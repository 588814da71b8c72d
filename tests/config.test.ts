import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, defaultConfig, redactConfig } from '../core/config.js';
import { loadConfig } from '../infra/config.js';

describe('config', () => {
  it('GIVEN the README THEN every setting is documented there', () => {
    const readme = readFileSync('README.md', 'utf8');
    const missing = Object.keys(DEFAULTS).filter((k) => !readme.includes(`\`${k}\``) && k !== 'NODE_ENV');
    expect(missing).toEqual([]);
  });

  it('GIVEN no environment THEN defaults apply', () => {
    const c = defaultConfig();
    expect(c.DATA_DIR).toBe('./data');
    expect(c.FEEDBACK_LIKE_EMOJIS).toContain('👍');
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('GIVEN bad values THEN one error names every bad variable, without echoing secrets', () => {
    let message = '';
    try {
      loadConfig({
        env: { RECO_MAX_COUNT: '0', REDIS_URL: 'http://nope', LLM_API_KEY: 'sk-secret-value' },
        dotenvPath: false,
      });
    } catch (e) {
      message = (e as Error).message;
      expect((e as { code?: string }).code).toBe('CONFIG_INVALID');
    }
    expect(message).toMatch(/RECO_MAX_COUNT/);
    expect(message).toMatch(/REDIS_URL/);
    expect(message).not.toContain('sk-secret-value');
  });

  it('GIVEN secrets THEN redactConfig hides them', () => {
    const c = defaultConfig({ DISCORD_TOKEN: 'abc.def.ghi', LLM_API_KEY: 'k' });
    const r = redactConfig(c);
    expect(r.DISCORD_TOKEN).toBe('[redacted]');
    expect(JSON.stringify(r)).not.toContain('abc.def.ghi');
  });

  it('GIVEN a trailing slash on the Telegram API root THEN it is removed', () => {
    expect(defaultConfig({ TELEGRAM_API_ROOT: 'http://127.0.0.1:9/' }).TELEGRAM_API_ROOT).toBe('http://127.0.0.1:9');
  });
});
