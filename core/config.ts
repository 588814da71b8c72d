/**
 * The configuration as data: every setting's default, the zod schema that validates it, and
 * `parseConfig` that turns raw strings into a typed `Config`. Core reads nothing: the edge
 * (`infra/config.ts`, the one module that reads the environment and `.env`) hands it the raw values.
 * Every key is documented in the README's configuration table (`tests/config.test.ts` checks it).
 */
import { z } from 'zod';
import { RecoError } from './errors.js';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Defaults, as typed data, in one place. */
export const DEFAULTS = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'auto',
  DATA_DIR: './data',
  CATALOG_PATH: '',
  DEFAULT_LANG: 'en',
  BOT_MODE: 'auto',
  CONSOLE_USER: '',
  // scoring
  RECO_DEFAULT_COUNT: '5',
  RECO_MAX_COUNT: '10',
  RECO_W_PERSONA: '0.35',
  RECO_W_FEEDBACK: '0.45',
  RECO_W_TOPIC: '0.9',
  RECO_W_FRESHNESS: '0.08',
  RECO_W_POPULARITY: '0.07',
  RECO_W_LEARNED: '0.4',
  RECO_W_IMAGE: '0.3',
  RECO_SHOWN_PENALTY: '0.1',
  RECO_FRESHNESS_HALF_LIFE_HOURS: '72',
  RECO_DEFAULT_EXPLORE: '1',
  RECO_ELICITATION: 'bandit',
  FEEDBACK_LIKE_EMOJIS: '👍,❤️,🔥,😍,⭐',
  FEEDBACK_DISLIKE_EMOJIS: '👎,😡,💩,🙄',
  MAX_MESSAGE_CHARS: '4000',
  // store
  REDIS_URL: '',
  REDIS_COMMAND_TIMEOUT_MS: '2000',
  REDIS_CONNECT_TIMEOUT_MS: '3000',
  REDIS_SENTINELS: '',
  REDIS_SENTINEL_NAME: 'mymaster',
  REDIS_SENTINEL_PASSWORD: '',
  REDIS_WAIT_REPLICAS: 'auto',
  REDIS_WAIT_TIMEOUT_MS: '500',
  REDIS_AOF_REWRITE_INTERVAL_MS: '600000',
  STATS_REFRESH_MS: '30000',
  PLATFORM_START_TIMEOUT_MS: '300000',
  // encoders / models
  MODELS_DIR: './models/weights',
  TEXT_MODEL: 'paraphrase-multilingual-MiniLM-L12-v2',
  IMAGE_MODEL: 'clip-vit-b32',
  ENCODER: 'auto',
  ORT_DEVICE: 'auto',
  ORT_INTRA_OP_THREADS: '0',
  ORT_GRAPH_OPTIMIZATION: 'all',
  EMBED_BATCH_SIZE: '32',
  HF_ENDPOINT: 'https://huggingface.co',
  HF_TOKEN: '',
  // two-tower
  TWO_TOWER_DIR: './data/two-tower',
  RETRAIN_INTERVAL_HOURS: '24',
  RETRAIN_MIN_NEW_FEEDBACK: '50',
  MOVIELENS_100K_URL: 'https://files.grouplens.org/datasets/movielens/ml-100k.zip',
  // LLM
  LLM_BASE_URL: '',
  LLM_API_KEY: '',
  LLM_MODEL: 'gpt-4o-mini',
  LLM_TIMEOUT_MS: '8000',
  LLM_MAX_RETRIES: '2',
  LLM_REPLY_WAIT_MS: '2500',
  LLM_DAILY_TOKENS_PER_USER: '20000',
  LLM_DAILY_TOKENS_TOTAL: '1000000',
  // Discord
  DISCORD_TOKEN: '',
  DISCORD_APPLICATION_ID: '',
  DISCORD_GUILD_ID: '',
  DISCORD_API_BASE: '',
  DISCORD_MESSAGE_CONTENT: 'true',
  DISCORD_SHARDS: 'auto',
  // Telegram
  TELEGRAM_TOKEN: '',
  TELEGRAM_API_ROOT: '',
  TELEGRAM_WEBHOOK_URL: '',
  TELEGRAM_WEBHOOK_SECRET: '',
  TELEGRAM_WEBHOOK_PORT: '8080',
  // outbox: the platforms' flood limits (0 turns one off)
  TELEGRAM_MAX_PER_SECOND: '30',
  TELEGRAM_CHAT_INTERVAL_MS: '1000',
  TELEGRAM_CHAT_BURST: '3',
  TELEGRAM_GROUP_PER_MINUTE: '20',
  DISCORD_MAX_PER_SECOND: '50',
  TELEGRAM_WEBHOOK_HOST: '127.0.0.1',
  DIGEST_DEFAULT_TIME: '08:00',
  DIGEST_DEFAULT_TZ: 'Asia/Seoul',
  DIGEST_SIZE: '6',
  DIGEST_PLAN_AHEAD_MINUTES: '30',
  DIGEST_WINDOW_MINUTES: '30',
  DIGEST_LAYOUT: 'auto',
  // scrapers
  CHROMIUM_PATH: '/usr/bin/chromium',
  SCRAPE_SOURCES: '',
  SCRAPE_INTERVAL_MINUTES: '60',
  SCRAPE_CONCURRENCY: '4',
  SCRAPE_PER_DOMAIN: '1',
  SCRAPE_DELAY_MS: '1000',
  SCRAPE_TIMEOUT_MS: '20000',
  SCRAPE_ALLOW_PRIVATE: 'false',
  ITEM_MAX_AGE_DAYS: '30',
  THUMB_MAX_BYTES: '5000000',
  THUMB_MAX_PIXELS: '40000000',
  // large catalogs
  CATALOG_ANN: 'auto',
  CATALOG_ANN_MIN_ITEMS: '50000',
  CATALOG_VECTOR_QUANTIZATION: 'f16',
  CATALOG_ANN_CONNECTIVITY: '16',
  CATALOG_ANN_EXPANSION_ADD: '128',
  CATALOG_ANN_EXPANSION_SEARCH: '256',
  CATALOG_SNAPSHOT: 'true',
  CATALOG_SNAPSHOT_DIR: '',
  CATALOG_SYNC_INTERVAL_SECONDS: '60',
  // dashboard (`npm run dashboard`; the bot serves it too when DASHBOARD_PORT is set)
  DASHBOARD_PORT: '',
  DASHBOARD_HOST: '127.0.0.1',
  DASHBOARD_TOKEN: '',
  DASHBOARD_PERSONAL_DATA: 'false',
  DASHBOARD_UPLOAD_MAX_MB: '20',
  DASHBOARD_MAP_MAX_POINTS: '2000',
  // background jobs (BullMQ on REDIS_URL; in-process without it)
  JOBS_IN_BOT: 'true',
  JOB_ATTEMPTS: '5',
  JOB_BACKOFF_SECONDS: '30',
  // people's own sources (/subscribe, /sources, OPML)
  SOURCES_FETCH_MINUTES: '60',
  SOURCES_MAX_PER_USER: '20',
  SOURCES_MAX_PER_CHAT: '50',
  SOURCES_MAX_TOTAL: '2000',
  SOURCES_OPML_MAX_BYTES: '1000000',
  // controls (hard filters, list layout)
  FILTERS_MAX: '100',
  LAYOUT_DEFAULT: 'cards',
} as const satisfies Record<string, string>;

export type ConfigKey = keyof typeof DEFAULTS;
/** Keys whose values are secrets: never logged, never shown. */
export const SECRET_KEYS = [
  'DISCORD_TOKEN',
  'TELEGRAM_TOKEN',
  'LLM_API_KEY',
  'TELEGRAM_WEBHOOK_SECRET',
  'REDIS_URL',
  'REDIS_SENTINEL_PASSWORD',
  'HF_TOKEN',
  'DASHBOARD_TOKEN',
] as const satisfies readonly ConfigKey[];

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']),
  DATA_DIR: z.string().min(1),
  CATALOG_PATH: z.string(),
  DEFAULT_LANG: z.enum(['ko', 'en']),
  BOT_MODE: z.enum(['auto', 'console', 'discord', 'telegram', 'all']),
  CONSOLE_USER: z.string(),
  RECO_DEFAULT_COUNT: int(1, 20),
  RECO_MAX_COUNT: int(1, 50),
  RECO_W_PERSONA: num(0, 10),
  RECO_W_FEEDBACK: num(0, 10),
  RECO_W_TOPIC: num(0, 10),
  RECO_W_FRESHNESS: num(0, 10),
  RECO_W_POPULARITY: num(0, 10),
  RECO_W_LEARNED: num(0, 10),
  RECO_W_IMAGE: num(0, 1),
  RECO_SHOWN_PENALTY: num(0, 10),
  RECO_FRESHNESS_HALF_LIFE_HOURS: num(1, 24 * 365),
  RECO_DEFAULT_EXPLORE: int(0, 3),
  RECO_ELICITATION: z.enum(['bandit', 'off']),
  FEEDBACK_LIKE_EMOJIS: csv,
  FEEDBACK_DISLIKE_EMOJIS: csv,
  MAX_MESSAGE_CHARS: int(100, 100_000),
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_COMMAND_TIMEOUT_MS: int(50, 600_000),
  REDIS_CONNECT_TIMEOUT_MS: int(50, 600_000),
  REDIS_SENTINELS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port')))
    .transform((list) =>
      list.map((hp) => {
        const i = hp.lastIndexOf(':');
        return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
      }),
    ),
  REDIS_SENTINEL_NAME: z.string().min(1),
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_WAIT_REPLICAS: z.union([z.literal('auto'), z.coerce.number().int().min(0).max(16)]),
  REDIS_WAIT_TIMEOUT_MS: int(1, 60_000),
  REDIS_AOF_REWRITE_INTERVAL_MS: int(0, 7 * 86_400_000),
  STATS_REFRESH_MS: int(0, 86_400_000),
  PLATFORM_START_TIMEOUT_MS: int(0, 86_400_000),
  MODELS_DIR: z.string().min(1),
  TEXT_MODEL: z.string().min(1),
  IMAGE_MODEL: z.string(),
  ENCODER: z.enum(['auto', 'lexical', 'onnx']),
  ORT_DEVICE: z.enum(['auto', 'cpu', 'cuda']),
  ORT_INTRA_OP_THREADS: int(0, 256),
  ORT_GRAPH_OPTIMIZATION: z.enum(['disabled', 'basic', 'extended', 'all']),
  EMBED_BATCH_SIZE: int(1, 1024),
  HF_ENDPOINT: z.url(),
  HF_TOKEN: optionalString,
  TWO_TOWER_DIR: z.string().min(1),
  RETRAIN_INTERVAL_HOURS: num(0, 24 * 30),
  RETRAIN_MIN_NEW_FEEDBACK: int(0, 1_000_000),
  MOVIELENS_100K_URL: z.url(),
  LLM_BASE_URL: optionalString.pipe(z.url().optional()),
  LLM_API_KEY: optionalString,
  LLM_MODEL: z.string().min(1),
  LLM_TIMEOUT_MS: int(100, 600_000),
  LLM_MAX_RETRIES: int(0, 10),
  LLM_REPLY_WAIT_MS: int(0, 60_000),
  LLM_DAILY_TOKENS_PER_USER: int(0, 1e9),
  LLM_DAILY_TOKENS_TOTAL: int(0, 1e12),
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_GUILD_ID: optionalString,
  DISCORD_API_BASE: optionalString.pipe(z.url().optional()),
  DISCORD_MESSAGE_CONTENT: bool,
  DISCORD_SHARDS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(100_000)]),
  TELEGRAM_TOKEN: optionalString,
  TELEGRAM_API_ROOT: optionalString.pipe(z.url().optional()).transform((v) => v?.replace(/\/+$/, '')),
  TELEGRAM_WEBHOOK_URL: optionalString.pipe(z.url().optional()),
  TELEGRAM_WEBHOOK_SECRET: optionalString,
  TELEGRAM_WEBHOOK_PORT: int(1, 65535),
  TELEGRAM_MAX_PER_SECOND: int(0, 100_000),
  TELEGRAM_CHAT_INTERVAL_MS: int(0, 600_000),
  TELEGRAM_CHAT_BURST: int(1, 100),
  TELEGRAM_GROUP_PER_MINUTE: int(0, 100_000),
  DISCORD_MAX_PER_SECOND: int(0, 100_000),
  TELEGRAM_WEBHOOK_HOST: z.string().min(1),
  DIGEST_DEFAULT_TIME: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM'),
  DIGEST_DEFAULT_TZ: z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Seoul'),
  DIGEST_SIZE: int(1, 20),
  DIGEST_PLAN_AHEAD_MINUTES: int(0, 720),
  DIGEST_WINDOW_MINUTES: int(0, 720),
  DIGEST_LAYOUT: z.enum(['auto', 'cards', 'compact']),
  CHROMIUM_PATH: z.string().min(1),
  SCRAPE_SOURCES: z.string(),
  SCRAPE_INTERVAL_MINUTES: num(0, 24 * 60 * 7),
  SCRAPE_CONCURRENCY: int(1, 64),
  SCRAPE_PER_DOMAIN: int(1, 16),
  SCRAPE_DELAY_MS: int(0, 60_000),
  SCRAPE_TIMEOUT_MS: int(1000, 300_000),
  SCRAPE_ALLOW_PRIVATE: bool,
  ITEM_MAX_AGE_DAYS: num(0, 3650),
  THUMB_MAX_BYTES: int(1000, 100_000_000),
  THUMB_MAX_PIXELS: int(1000, 500_000_000),
  CATALOG_ANN: z.enum(['auto', 'off']),
  CATALOG_ANN_MIN_ITEMS: int(1, 1e9),
  CATALOG_VECTOR_QUANTIZATION: z.enum(['f32', 'f16', 'i8']),
  CATALOG_ANN_CONNECTIVITY: int(4, 128),
  CATALOG_ANN_EXPANSION_ADD: int(8, 4096),
  CATALOG_ANN_EXPANSION_SEARCH: int(8, 4096),
  CATALOG_SNAPSHOT: bool,
  CATALOG_SNAPSHOT_DIR: z.string(),
  CATALOG_SYNC_INTERVAL_SECONDS: int(0, 86_400),
  DASHBOARD_PORT: optionalString.pipe(
    z.string().regex(/^\d+$/, 'a port number').transform(Number).pipe(z.number().int().max(65535)).optional(),
  ),
  DASHBOARD_HOST: z.string().min(1),
  DASHBOARD_TOKEN: optionalString,
  DASHBOARD_PERSONAL_DATA: bool,
  DASHBOARD_UPLOAD_MAX_MB: num(0.01, 1024),
  DASHBOARD_MAP_MAX_POINTS: int(10, 100_000),
  JOBS_IN_BOT: bool,
  JOB_ATTEMPTS: int(1, 100),
  JOB_BACKOFF_SECONDS: num(0.01, 86_400),
  SOURCES_FETCH_MINUTES: num(0, 24 * 60 * 7).refine((v) => v === 0 || v >= 5, '0 (off) or at least 5 minutes'),
  SOURCES_MAX_PER_USER: int(0, 10_000),
  SOURCES_MAX_PER_CHAT: int(0, 10_000),
  SOURCES_MAX_TOTAL: int(0, 1_000_000),
  SOURCES_OPML_MAX_BYTES: int(1000, 50_000_000),
  FILTERS_MAX: int(1, 100),
  LAYOUT_DEFAULT: z.enum(['cards', 'compact']),
});

export type Config = z.infer<typeof schema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates raw values (environment strings) into a `Config`; a key not given takes its default.
 * @throws RecoError `CONFIG_INVALID` naming every bad variable (values of secrets are never echoed).
 * @example
 * parseConfig({ DATA_DIR: '/var/lib/deep-reco' }).RECO_MAX_COUNT; // 10
 */
export function parseConfig(values: Partial<Record<string, string | undefined>>): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(DEFAULTS) as ConfigKey[]) raw[key] = values[key] ?? DEFAULTS[key];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new RecoError('CONFIG_INVALID', `Invalid configuration — ${problems.join('; ')}`, {
      details: { variables: parsed.error.issues.map((i) => i.path.join('.')) },
    });
  }
  return parsed.data;
}

/** A config with defaults only (plus overrides), for tests and scripts. */
export function defaultConfig(overrides: Partial<Record<ConfigKey, string>> = {}): Config {
  return parseConfig(overrides);
}

/** The config with secrets replaced, safe to log. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) if (out[key] !== undefined) out[key] = '[redacted]';
  return out;
}
