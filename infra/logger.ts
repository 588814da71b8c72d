/**
 * Structured logs with pino: JSON in production or when piped, pretty in a terminal.
 * Secrets are redacted by field name and by value: every configured secret string is masked wherever
 * it appears (a token inside a URL in an error message included).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import pinoPretty from 'pino-pretty';
import type { Config } from '../core/config.js';
import { SECRET_KEYS } from '../core/config.js';
import type { Logger } from '../core/ports.js';

export interface LoggerOptions {
  level?: Config['LOG_LEVEL'];
  format?: Config['LOG_FORMAT'];
  /** Secret values to mask in every log line. */
  secrets?: readonly string[];
  /** Where to write (default stderr, so stdout stays free for the console chat). */
  destination?: NodeJS.WritableStream;
}

/** The configured secret values (long enough to be worth masking). */
export function secretValues(config: Config): string[] {
  const out: string[] = [];
  for (const k of SECRET_KEYS) {
    const v = config[k];
    if (typeof v !== 'string' || v.length < 4) continue;
    out.push(v);
    // A Redis URL's password alone too.
    const pw = /^rediss?:\/\/[^:@/]*:([^@]+)@/.exec(v)?.[1];
    if (pw && pw.length >= 4) out.push(pw);
  }
  return out;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = [...new Set(options.secrets ?? [])].sort((a, b) => b.length - a.length);
  const mask = (s: string) => (secrets.length ? secrets.reduce((acc, sec) => acc.split(sec).join('[redacted]'), s) : s);
  const dest = options.destination ?? process.stderr;
  const masked = new Writable({
    write(chunk, _enc, cb) {
      dest.write(mask(String(chunk)));
      cb();
    },
  });
  const pretty =
    options.format === 'pretty' || (options.format !== 'json' && (dest as { isTTY?: boolean }).isTTY === true);
  const stream = pretty
    ? pinoPretty({
        colorize: (dest as { isTTY?: boolean }).isTTY === true,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname',
        singleLine: true,
        destination: masked,
        sync: true,
      })
    : masked;
  const base = pino(
    {
      level: options.level ?? 'info',
      redact: {
        paths: [
          'token',
          'apiKey',
          'password',
          'authorization',
          '*.token',
          '*.apiKey',
          '*.password',
          'headers.authorization',
          '*.headers.authorization',
        ],
        censor: '[redacted]',
      },
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
  return base as unknown as Logger;
}
