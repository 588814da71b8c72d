import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger.js';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, dest };
}

describe('logger', () => {
  it('GIVEN secrets anywhere in a log line THEN they are masked', () => {
    const { lines, dest } = capture();
    const log = createLogger({ format: 'json', secrets: ['123456:AAsecret-token', 'sk-key-000'], destination: dest });
    log.info({ url: 'https://api.telegram.org/bot123456:AAsecret-token/getMe' }, 'calling');
    log.error({ err: new Error('401 for key sk-key-000') }, 'failed');
    log.info({ token: 'plain-token-field' }, 'x');
    const all = lines.join('');
    expect(all).not.toContain('AAsecret-token');
    expect(all).not.toContain('sk-key-000');
    expect(all).not.toContain('plain-token-field');
    expect(all).toContain('[redacted]');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'calling', level: 30 });
  });

  it('GIVEN the pretty format THEN lines are readable and still masked', () => {
    const { lines, dest } = capture();
    const log = createLogger({ format: 'pretty', secrets: ['hidden-value'], destination: dest });
    log.warn({ detail: 'hidden-value' }, 'hello there');
    const all = lines.join('');
    expect(all).toContain('hello there');
    expect(all).not.toContain('hidden-value');
  });
});
