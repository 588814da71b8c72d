/**
 * `/forget` leaves nothing behind, and the bot-wide counters are shared:
 * - Redis with an append-only file: after /forget the bot rewrites the AOF (BGREWRITEAOF, rate-limited), and the
 *   person's words are then gone from every AOF file (raw bytes);
 * - a second document an identity once had (as a race between processes could leave) is found through the
 *   identity log and deleted too;
 * - popularity counts written by one replica are seen by another, survive a restart, and leave with /forget.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { NS_IDENTITY_LOG, NS_USERS } from '../../core/store/namespaces.js';
import { newUserDoc, type UserDoc } from '../../core/users/doc.js';
import { RedisStore } from '../../infra/store/redis.js';
import { SqliteStore } from '../../infra/store/sqlite.js';
import { testApp } from '../helpers/app.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import { rawCommand } from '../helpers/sentinel.js';
import { aofContains, rawFilesContain } from './scenarios.js';

const tmp = mkdtempSync(join(process.cwd(), 'tests/.tmp/forget-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.runIf(redisAvailable())('/forget on Redis with an append-only file', () => {
  it('GIVEN the words were in the AOF THEN after /forget the bot rewrites it and they are gone from its bytes; a second forget soon after is scheduled, not run', async () => {
    const redis = await startRedis({ persistent: true });
    try {
      const store = await RedisStore.open(redis.url, { aofRewriteIntervalMs: 1 });
      const app = await testApp({ store });
      const words = `quokkaword${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      const alice = { platform: 'console' as const, externalId: 'alice-aof' };
      try {
        await app.reco.message(alice, `my secret hobby is ${words}`);
        expect(aofContains(redis.dir, words)).toBe(true);
        await app.reco.forget(alice);
        // BGREWRITEAOF runs in the background: wait (bounded) until it finished and the old files are gone.
        let gone = false;
        for (let i = 0; i < 200 && !gone; i++) {
          const info = await rawCommand(redis.port, 'INFO persistence');
          gone = /aof_rewrite_in_progress:0/.test(info) && !aofContains(redis.dir, words);
          if (!gone) await new Promise((r) => setTimeout(r, 50));
        }
        expect(gone).toBe(true);
      } finally {
        await app.close();
      }
      const limited = await RedisStore.open(redis.url, { aofRewriteIntervalMs: 600_000 });
      try {
        expect(await limited.eraseResidue()).toMatch(/BGREWRITEAOF/);
        expect(await limited.eraseResidue()).toMatch(/scheduled in \d+ s/);
      } finally {
        await limited.close();
      }
    } finally {
      await redis.stop();
      rmSync(redis.dir, { recursive: true, force: true });
    }
  });
});

describe('/forget finds every document an identity had', () => {
  it('GIVEN a second document of the same identity left by a race (in the identity log, not pointed at) THEN /forget deletes both, and the words leave the SQLite file', async () => {
    const dir = join(tmp, 'log');
    const app = await testApp({ store: await SqliteStore.open(dir) });
    try {
      const alice = { platform: 'console' as const, externalId: 'alice-race' };
      const words = `narwhalword${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      await app.reco.message(alice, `I love ${words}`);
      // What a race under the old code left: another document for the same identity, noted in the log.
      const stray: UserDoc = newUserDoc(
        {
          id: 'u_stray0000000000000000',
          createdAt: '2026-11-26T00:00:00Z',
          lang: 'en',
          identities: [{ platform: 'console', externalId: 'alice-race', displayName: `Alice ${words}` }],
          explore: 1,
        },
        '2026-11-26T00:00:00Z',
      );
      await app.store.writeBatch([
        { op: 'set', ns: NS_USERS, key: stray.user.id, value: stray },
        { op: 'incr', ns: NS_IDENTITY_LOG, key: 'console:alice-race', field: stray.user.id, by: 1 },
      ]);
      await app.reco.forget(alice);
      const left: string[] = [];
      for await (const k of app.store.keys(NS_USERS)) left.push(k);
      expect(left).toEqual([]);
      expect(await app.store.get(NS_IDENTITY_LOG, 'console:alice-race')).toBeUndefined();
      expect(rawFilesContain(dir, words)).toBe(false);
    } finally {
      await app.close();
    }
  });
});

describe('shared counters', () => {
  it('GIVEN likes through one replica THEN another sees them after a refresh, a restart keeps them, and /forget takes them back', async () => {
    const dir = join(tmp, 'counters');
    const a = await testApp({ store: await SqliteStore.open(dir), env: { STATS_REFRESH_MS: '0' } });
    const b = await testApp({ store: await SqliteStore.open(dir), env: { STATS_REFRESH_MS: '0' } });
    const item = a.catalog.index.items[0]!.id;
    const people = ['p1', 'p2', 'p3'].map((externalId) => ({ platform: 'console' as const, externalId }));
    try {
      for (const [i, p] of people.entries()) await a.reco.feedback(p, item, 'like', 'button', `k${i}`);
      await b.reco.feedback({ platform: 'console', externalId: 'p4' }, item, 'dislike', 'button', 'k4');
      expect(a.core.stats.itemStats(item)).toEqual({ likes: 3, dislikes: 0 }); // its own, at once
      await a.core.stats.refresh();
      await b.core.stats.refresh([item]);
      expect(a.core.stats.itemStats(item)).toEqual({ likes: 3, dislikes: 1 });
      expect(b.core.stats.itemStats(item)).toEqual({ likes: 3, dislikes: 1 });
      expect(b.core.stats.users).toBe(4);
      await b.reco.forget(people[0]!);
    } finally {
      await a.close();
      await b.close();
    }
    const again = await testApp({ store: await SqliteStore.open(dir) });
    try {
      expect(again.core.stats.itemStats(item)).toEqual({ likes: 2, dislikes: 1 });
      expect(again.core.stats.users).toBe(3);
    } finally {
      await again.close();
    }
  });
});
