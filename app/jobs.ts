/**
 * The background-jobs queue of the composition root: BullMQ when `REDIS_URL` is set (shared by every replica
 * and `npm run worker`), else in this process. The kinds of jobs and their retry policies are listed here,
 * in one place.
 */
import type { Config } from '../core/config.js';
import { InProcessJobQueue } from '../core/jobs/in-process.js';
import type { JobPolicy, JobQueue } from '../core/jobs/port.js';
import type { KeyValueStore, Logger } from '../core/ports.js';
import type { Platform } from '../core/domain.js';
import { BullJobQueue } from '../infra/jobs/bullmq.js';
import { redisOptionsFrom, type RedisConfig } from '../infra/store/index.js';

/** Every kind of background job. */
export const JOB = {
  /** One source's scrape (`{ source }`), every SCRAPE_INTERVAL_MINUTES (or the source's own interval). */
  scrape: 'scrape',
  /** Expiring items older than ITEM_MAX_AGE_DAYS, hourly. */
  expire: 'expire-items',
  /** Embedding a chunk of the catalog with a new text model (`{ encoderId, ids }`), shared by the replicas. */
  embed: 'embed-catalog',
  /** Two-tower retraining, every RETRAIN_INTERVAL_HOURS or early after RETRAIN_MIN_NEW_FEEDBACK reactions. */
  retrain: 'retrain',
  /** Finding digests to plan and to send (every minute). */
  digestScan: 'digest-scan',
  /** Planning one chat's digest ahead of its slot (`{ chat, date, slot }`). */
  digestPlan: 'digest-plan',
} as const;

/** Sending one chat's digest: a queue per platform, run only where that platform's adapter is. */
export function digestSendKind(platform: Platform): string {
  return `digest-send.${platform}`;
}

export const JOB_KINDS: readonly string[] = [
  ...Object.values(JOB),
  digestSendKind('telegram'),
  digestSendKind('discord'),
];

/** Retry policies and per-process concurrency by kind (JOB_ATTEMPTS / JOB_BACKOFF_SECONDS are the defaults). */
export function jobPolicies(
  config: Pick<Config, 'JOB_ATTEMPTS' | 'JOB_BACKOFF_SECONDS'>,
): Record<string, Partial<JobPolicy>> {
  const base: Partial<JobPolicy> = {
    attempts: config.JOB_ATTEMPTS,
    backoffMs: Math.round(config.JOB_BACKOFF_SECONDS * 1000),
    maxBackoffMs: 30 * 60_000,
  };
  const sends = Object.fromEntries(
    (['telegram', 'discord', 'console'] as const).map((p) => [digestSendKind(p), { ...base, concurrency: 32 }]),
  );
  return {
    '*': base,
    [JOB.scrape]: { ...base, concurrency: 1 },
    [JOB.expire]: { ...base, attempts: Math.min(3, config.JOB_ATTEMPTS) },
    [JOB.embed]: { ...base, concurrency: 1 },
    // Training is long: one more try after a failure, then the next schedule.
    [JOB.retrain]: { ...base, attempts: Math.min(2, config.JOB_ATTEMPTS), concurrency: 1 },
    // The next scan is a minute away: no retry.
    [JOB.digestScan]: { ...base, attempts: 1, concurrency: 1 },
    [JOB.digestPlan]: { ...base, concurrency: 2 },
    ...sends,
  };
}

export function createJobQueue(
  config: Pick<Config, 'REDIS_URL' | 'JOB_ATTEMPTS' | 'JOB_BACKOFF_SECONDS'> & RedisConfig,
  deps: { store: KeyValueStore; logger: Logger },
): JobQueue {
  const policies = jobPolicies(config);
  // The same Redis as the store: REDIS_URL, or the primary the sentinels name (REDIS_SENTINELS).
  const sentinel = redisOptionsFrom(config, deps.logger).sentinel;
  if (config.REDIS_URL || sentinel)
    return new BullJobQueue({
      url: config.REDIS_URL || 'redis://localhost',
      ...(sentinel ? { sentinel } : {}),
      logger: deps.logger,
      policies,
      kinds: JOB_KINDS,
    });
  return new InProcessJobQueue({ store: deps.store, logger: deps.logger, policies });
}
