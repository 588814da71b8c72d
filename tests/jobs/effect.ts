/**
 * An idempotent effect keyed by job id, as every real job has one (digest run records, item ids, content
 * hashes): the marker and the effect are written in one atomic step, so a re-run finds the marker and does
 * nothing.
 */
import type { Redis } from 'ioredis';

const ONCE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX') then redis.call('INCR', KEYS[2]) return 1 end return 0`;

/** Applies the job's effect once: true when this call applied it, false when an earlier run already had. */
export async function applyEffectOnce(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  const r = await redis.eval(
    ONCE,
    2,
    `test-effects:${prefix}:${jobId}`,
    `test-effects:${prefix}:count`,
    String(process.pid),
  );
  return r === 1;
}
