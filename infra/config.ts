/**
 * The one module that reads the environment: `process.env` and a `.env` file, validated by the schema
 * and defaults in core/config.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { DEFAULTS, parseConfig, type Config, type ConfigKey } from '../core/config.js';

export interface LoadConfigOptions {
  /** Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** A `.env` file to read first (process env wins). Defaults to `./.env` when it exists; `false` to skip. */
  dotenvPath?: string | false;
}

/**
 * Reads and validates the configuration.
 * @throws RecoError `CONFIG_INVALID` naming every bad variable (values of secrets are never echoed).
 * @example
 * const config = loadConfig();
 * config.DATA_DIR; // './data'
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const path = options.dotenvPath === undefined ? '.env' : options.dotenvPath;
  const fromFile: Record<string, string> = path !== false && existsSync(path) ? parseDotenv(readFileSync(path)) : {};
  const raw: Partial<Record<ConfigKey, string>> = {};
  for (const key of Object.keys(DEFAULTS) as ConfigKey[]) {
    const v = env[key] ?? fromFile[key];
    if (v !== undefined) raw[key] = v;
  }
  return parseConfig(raw);
}
