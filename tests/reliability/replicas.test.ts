/**
 * Two replica processes (the real composition root each, tests/reliability/fixtures/replica.ts) on one SQLite
 * DATA_DIR and on one redis-server, and a Sentinel-managed Redis set:
 * - kill -9 of one replica under load → 0 acknowledged reactions lost, no duplicate user document;
 * - two replicas meeting a new person at once → one document; `/forget` from either → nothing left of them
 *   (no document, no identity key; on SQLite not even their words in the raw database and WAL bytes);
 * - Sentinel: kill -9 of the primary under a bounded load → 0 acknowledged reactions lost, writes back.
 * Bounded: a few hundred events per backend, every wait has a deadline, every process is stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { sentinelAvailable, startSentinelSet, type SentinelSet } from '../helpers/sentinel.js';
import {
  creationRaceThenForget,
  redisBackend,
  replicaKillTrials,
  sentinelFailover,
  sqliteBackend,
  type Backend,
} from './scenarios.js';

const KILL = { trials: 2, users: 3, eventsPerReplica: 90, killAfterAcks: 25 };

describe('two replicas on one SQLite DATA_DIR', () => {
  let b: Backend;
  beforeAll(() => {
    b = sqliteBackend();
  });
  afterAll(() => rmSync(b.target, { recursive: true, force: true }));

  it('GIVEN kill -9 of one replica under load THEN no acknowledged reaction is lost and no user has two documents', async () => {
    const f = await replicaKillTrials(b, KILL);
    expect(f.acknowledged).toBeGreaterThanOrEqual(KILL.trials * (KILL.eventsPerReplica + KILL.killAfterAcks));
    expect(f.lost).toBe(0);
    expect(f.duplicateUserDocs).toBe(0);
    expect(f.danglingIdentities).toBe(0);
  });

  it('GIVEN two replicas meet a new person at once THEN one document, and /forget leaves nothing — not in the file bytes either', async () => {
    const f = await creationRaceThenForget(b, { trials: 3 });
    expect(f.duplicateUserDocs).toBe(0);
    expect(f.docsLeft).toBe(0);
    expect(f.identitiesLeft).toBe(0);
    expect(f.wordsInStore).toBe(0);
    expect(f.wordsInFiles).toBe(0);
  });
});

describe.runIf(redisAvailable())('two replicas on one redis-server', () => {
  let redis: RedisServer;
  let b: Backend;
  beforeAll(async () => {
    redis = await startRedis();
    b = redisBackend(redis);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('GIVEN kill -9 of one replica under load THEN no acknowledged reaction is lost and no user has two documents', async () => {
    const f = await replicaKillTrials(b, KILL);
    expect(f.acknowledged).toBeGreaterThanOrEqual(KILL.trials * (KILL.eventsPerReplica + KILL.killAfterAcks));
    expect(f.lost).toBe(0);
    expect(f.duplicateUserDocs).toBe(0);
    expect(f.danglingIdentities).toBe(0);
  });

  it('GIVEN two replicas meet a new person at once THEN one document, and /forget leaves nothing of them', async () => {
    const f = await creationRaceThenForget(b, { trials: 3 });
    expect(f.duplicateUserDocs).toBe(0);
    expect(f.docsLeft).toBe(0);
    expect(f.identitiesLeft).toBe(0);
    expect(f.wordsInStore).toBe(0);
  });
});

describe.runIf(sentinelAvailable())('Redis primary + replicas + Sentinel', () => {
  let ha: SentinelSet;
  beforeAll(async () => {
    ha = await startSentinelSet();
  });
  afterAll(async () => {
    await ha?.stop();
  });

  it('GIVEN kill -9 of the primary under load THEN no acknowledged reaction is lost and writes come back after the failover', async () => {
    const f = await sentinelFailover(ha, { maxEvents: 3000, killAfterAcks: 60, acksAfterKill: 40, concurrency: 4 });
    expect(f.acknowledged).toBeGreaterThanOrEqual(100);
    expect(f.lost).toBe(0);
    expect(f.promotedAfterMs).toBeGreaterThan(0);
    const figures = JSON.stringify(f);
    expect(f.backAfterMs, figures).toBeGreaterThan(0); // reactions were acknowledged again after the kill
    expect(f.writableAgainMs, figures).toBeGreaterThan(0);
    // The client follows the new primary once the set takes replicated writes again: within one catch-up budget
    // (deadline + WAIT + topology scan + back-off), with as much again of slack for a busy machine. How long
    // Sentinel itself takes (a loaded 2-core machine can make it fail over twice) is Sentinel's, not measured here.
    expect(f.backAfterMs - f.writableAgainMs, figures).toBeLessThanOrEqual(2 * f.catchUpBudgetMs);
    expect(f.acknowledged + f.failedVisibly).toBe(f.events); // every reaction either counted or visibly failed
  });
});
