/**
 * Structured logs with pino: JSON in production or when piped, pretty in a terminal.
 * Secrets are redacted by path and by value (every configured secret string is masked wherever it appears).
 */
import pino from 'pino';
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

export function secretValues(config: Config): string[] {
  return SECRET_KEYS.map((k) => config[k]).filter((v): v is string => typeof v === 'string' && v.length >= 4);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = [...new Set(options.secrets ?? [])].sort((a, b) => b.length - a.length);
  const mask = (s: string) => secrets.reduce((acc, sec) => acc.split(sec).join('[redacted]'), s);
  const dest = options.destination ?? process.stderr;
  const pretty = options.format === 'pretty' || (options.format !== 'json' && (dest as { isTTY?: boolean }).isTTY === true);
  const stream = {
    write(line: string) {
      dest.write(secrets.length ? mask(line) : line);
    },
  };
  const base = pino(
    {
      level: options.level ?? 'info',
      redact: { paths: ['token', 'apiKey', 'password', '*.token', '*.apiKey', '*.password', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    pretty
      ? // pino-pretty as a stream (synchronous, no worker thread), masking secrets after formatting.
        (await_pretty(stream) as unknown as pino.DestinationStream)
      : (stream as unknown as pino.DestinationStream),
  );
  return base as unknown as Logger;
}

import pinoPretty from 'pino-pretty';
function await_pretty(stream: { write(line: string): void }) {
  return pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', destination: { write: (s: string) => stream.write(s) } as unknown as NodeJS.WritableStream, sync: true });
}
