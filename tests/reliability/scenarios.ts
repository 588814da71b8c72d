/**
 * The fault scenarios of the reliability suite, each returning its figures. The tests run them small and
 * assert; `npm run bench:reliability` runs them bigger and prints the figures for docs/RELIABILITY.md.
 * Everything runs on 127.0.0.1, bounded in events and time, and stops by itself.
 */
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isRecoError } from '../../core/errors.js';
import type { KeyValueStore } from '../../core/ports.js';
import { NS_IDENTITIES } from '../../core/store/namespaces.js';
import { RedisStore } from '../../infra/store/redis.js';
import { SqliteStore, SQLITE_FILE_NAME } from '../../infra/store/sqlite.js';
import type { RedisServer } from '../helpers/redis.js';
import { Replica, allUserDocs, checkAcks } from './harness.js';

/** Where two replicas meet: a SQLite DATA_DIR, or one Redis (URL + key prefix). */
export interface Backend {
  kind: 'sqlite' | 'redis';
  target: string;
  prefix: string;
  /** Config keys for the replicas (Redis timeouts, Sentinel). */
  env?: Record<string, string>;
  open(): Promise<KeyValueStore>;
}

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join('tests/.tmp', 'rel-sqlite-'));
  return { kind: 'sqlite', target: dir, prefix: '', open: () => SqliteStore.open(dir, { purgeIntervalMs: 0 }) };
}

export function redisBackend(redis: RedisServer): Backend {
  const prefix = `rel-${randomUUID().slice(0, 8)}`;
  return {
    kind: 'redis',
    target: redis.url,
    prefix,
    open: () => RedisStore.open(redis.url, { keyPrefix: prefix }),
  };
}

export interface KillFigures {
  trials: number;
  /** Events acknowledged by either replica (the killed one included, up to its death). */
  acknowledged: number;
  lost: number;
  duplicateUserDocs: number;
  danglingIdentities: number;
  /** Events that failed visibly (an error the user would see; not acknowledged, so not a loss). */
  failedVisibly: number;
  worstAckMs: number;
}

/**
 * Two replica processes react for the same users at once (users new at the start: their documents are created
 * in the race); one is killed with SIGKILL mid-load, the other finishes; a fresh replica replaces the dead one
 * for the next trial. Then every acknowledged event must be in the store, each identity in one document.
 */
export async function replicaKillTrials(
  b: Backend,
  o: { trials: number; users: number; eventsPerReplica: number; killAfterAcks: number },
): Promise<KillFigures> {
  const figures: KillFigures = {
    trials: o.trials,
    acknowledged: 0,
    lost: 0,
    duplicateUserDocs: 0,
    danglingIdentities: 0,
    failedVisibly: 0,
    worstAckMs: 0,
  };
  const acks = new Map<string, string>();
  let [a, c] = await Promise.all([Replica.start(b.target, b.prefix, b.env), Replica.start(b.target, b.prefix, b.env)]);
  try {
    for (let t = 0; t < o.trials; t++) {
      const users = Array.from({ length: o.users }, (_, i) => `t${t}-${randomUUID().slice(0, 6)}-${i}`);
      const tagA = `A${t}-${randomUUID().slice(0, 4)}`;
      const tagC = `C${t}-${randomUUID().slice(0, 4)}`;
      // The trial's victim alternates; it is killed once it has acknowledged some events of this trial.
      const [victim, survivor, survivorTag] = t % 2 === 0 ? [c, a, tagA] : [a, c, tagC];
      const base = victim.acks.size;
      a.send({ op: 'load', users, events: o.eventsPerReplica, tag: tagA, concurrency: 4 });
      c.send({ op: 'load', users, events: o.eventsPerReplica, tag: tagC, concurrency: 4 });
      await victim.untilAcks(base + o.killAfterAcks, 120_000);
      await victim.kill9();
      await survivor.until((l) => l.done === survivorTag, 300_000, `trial ${t}`);
      for (const r of [a, c]) {
        for (const [k, u] of r.acks) acks.set(k, u);
        figures.worstAckMs = Math.max(figures.worstAckMs, r.worstAckMs);
      }
      figures.failedVisibly += survivor.errors.length;
      survivor.errors.length = 0;
      // A fresh replica replaces the dead one (as a supervisor would).
      const fresh = await Replica.start(b.target, b.prefix, b.env);
      if (victim === c) c = fresh;
      else a = fresh;
    }
  } finally {
    await Promise.allSettled([a.stop(), c.stop()]);
  }
  const store = await b.open();
  try {
    const r = await checkAcks(store, acks);
    figures.acknowledged = r.acknowledged;
    figures.lost = r.lost.length;
    figures.duplicateUserDocs = r.duplicates.length;
    figures.danglingIdentities = r.dangling.length;
  } finally {
    await store.close();
  }
  return figures;
}

export interface ForgetFigures {
  trials: number;
  /** Identities that ended with more than one user document after the creation race. */
  duplicateUserDocs: number;
  /** After /forget: documents still listing a forgotten identity, identity keys left, and words found. */
  docsLeft: number;
  identitiesLeft: number;
  wordsInStore: number;
  /** SQLite only: trials whose words were still in the raw database or WAL bytes. */
  wordsInFiles: number;
}

/**
 * Two replicas meet a new person at the same moment (both take a message with the person's unique words), then
 * one of them runs /forget. The person must have had one document, and nothing of them may be left: no
 * document, no identity key, and (SQLite) not their words in the database file or its WAL.
 */
export async function creationRaceThenForget(b: Backend, o: { trials: number }): Promise<ForgetFigures> {
  const f: ForgetFigures = {
    trials: o.trials,
    duplicateUserDocs: 0,
    docsLeft: 0,
    identitiesLeft: 0,
    wordsInStore: 0,
    wordsInFiles: 0,
  };
  const [a, c] = await Promise.all([
    Replica.start(b.target, b.prefix, b.env),
    Replica.start(b.target, b.prefix, b.env),
  ]);
  const store = await b.open();
  try {
    for (let t = 0; t < o.trials; t++) {
      const user = `race-${t}-${randomUUID().slice(0, 8)}`;
      const words = `zebracorn${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      a.send({ op: 'say', user, text: `I love ${words} and football` });
      c.send({ op: 'say', user, text: `${words} cooking is my hobby` });
      await a.until((l) => l.said === user, 60_000, 'say A');
      await c.until((l) => l.said === user, 60_000, 'say C');
      const owners = (await allUserDocs(store)).filter((d) =>
        d.user.identities.some((i) => i.platform === 'console' && i.externalId === user),
      );
      if (owners.length > 1) f.duplicateUserDocs++;
      (t % 2 ? a : c).send({ op: 'forget', user });
      await (t % 2 ? a : c).until((l) => l.forgot === user, 60_000, 'forget');
      const left = (await allUserDocs(store)).filter((d) =>
        d.user.identities.some((i) => i.platform === 'console' && i.externalId === user),
      );
      f.docsLeft += left.length;
      if ((await store.get(NS_IDENTITIES, `console:${user}`)) !== undefined) f.identitiesLeft++;
      if (JSON.stringify(await allUserDocs(store)).includes(words)) f.wordsInStore++;
      if (b.kind === 'sqlite' && rawFilesContain(b.target, words)) f.wordsInFiles++;
    }
  } finally {
    await store.close();
    await Promise.allSettled([a.stop(), c.stop()]);
  }
  return f;
}

/** True when the SQLite database, its WAL or its shared-memory file holds `needle` in its raw bytes. */
export function rawFilesContain(dataDir: string, needle: string): boolean {
  const bytes = Buffer.from(needle, 'utf8');
  for (const suffix of ['', '-wal', '-shm']) {
    const p = join(dataDir, SQLITE_FILE_NAME + suffix);
    if (existsSync(p) && readFileSync(p).includes(bytes)) return true;
  }
  return false;
}

/** True when any file of a Redis AOF directory (appendonlydir, Redis 7 multi-part AOF) holds `needle`. */
export function aofContains(redisDir: string, needle: string): boolean {
  const bytes = Buffer.from(needle, 'utf8');
  const dirs = [redisDir, join(redisDir, 'appendonlydir')].filter((d) => existsSync(d));
  for (const d of dirs)
    for (const name of readdirSync(d)) {
      if (!/aof|rdb/i.test(name)) continue;
      const p = join(d, name);
      try {
        if (readFileSync(p).includes(bytes)) return true;
      } catch {
        /* a directory or a file being replaced */
      }
    }
  return false;
}

/** Whether an error is one a user is told about honestly (never a silent loss). */
export function visibleStoreError(e: unknown): boolean {
  return isRecoError(e, 'STORE_UNAVAILABLE') || isRecoError(e, 'STORE_OUTCOME_UNKNOWN');
}

export interface FailoverFigures {
  /** Reactions attempted (acknowledged + failed visibly). */
  events: number;
  acknowledged: number;
  lost: number;
  failedVisibly: number;
  /**
   * From kill -9 of the primary to the Sentinel naming a new one, and to the first acknowledgement of a reaction
   * begun after the kill.
   */
  promotedAfterMs: number;
  backAfterMs: number;
  /**
   * From the kill to the start of the last stretch in which the primary the Sentinel names had an online replica
   * (a `WAIT 1` could succeed), or to when writes came back if that was earlier. Sentinel's own time (down-after, failover, a second
   * failover when a loaded machine makes the promoted replica look down, the resync) ends here; what follows is
   * the client's: noticing the new primary and reconnecting. -1 when never seen.
   */
  writableAgainMs: number;
  /** What the watcher saw, for a failure message: `+ms` writable from then, `-ms` not, with the primary's port. */
  timeline: string;
  /** down-after-milliseconds + failover-timeout the Sentinel runs with. */
  failoverBudgetMs: number;
  /** The longest the client may take to follow a writable new primary: one command deadline + WAIT + topology scan + reconnect back-off. */
  catchUpBudgetMs: number;
  worstAckMs: number;
}

/**
 * Reactions through the real core on a Sentinel-managed Redis (`WAIT 1` on every write) while the primary is
 * killed with SIGKILL: every acknowledged reaction must be on the promoted replica.
 */
export async function sentinelFailover(
  ha: import('../helpers/sentinel.js').SentinelSet,
  o: { maxEvents: number; killAfterAcks: number; acksAfterKill: number; concurrency: number },
): Promise<FailoverFigures> {
  const { testApp } = await import('../helpers/app.js');
  const prefix = `ha-${randomUUID().slice(0, 8)}`;
  const timing = { commandTimeoutMs: 1000, waitTimeoutMs: 500 };
  const open = () =>
    RedisStore.open('redis://127.0.0.1', {
      keyPrefix: prefix,
      sentinel: { nodes: [ha.sentinel], name: ha.name },
      waitReplicas: 1,
      ...timing,
    });
  const store = await open();
  const app = await testApp({ store });
  const items = app.catalog.index.items.map((i) => i.id);
  const acks = new Map<string, string>();
  const f: FailoverFigures = {
    events: 0,
    acknowledged: 0,
    lost: 0,
    failedVisibly: 0,
    promotedAfterMs: -1,
    backAfterMs: -1,
    writableAgainMs: -1,
    timeline: '',
    failoverBudgetMs: ha.failoverMs,
    // RedisStore: commandTimeout + WAIT timeout per try, the sentinel client's 2 s topology scan, ≤ 2 s back-off.
    catchUpBudgetMs: timing.commandTimeoutMs + timing.waitTimeoutMs + 2000 + 2000,
    worstAckMs: 0,
  };
  let killedAt = 0;
  let next = 0;
  let afterKill = 0;
  try {
    const worker = async (): Promise<void> => {
      for (;;) {
        // Until enough reactions were acknowledged after the kill (writes are back), or the cap.
        if (killedAt > 0 && afterKill >= o.acksAfterKill) return;
        if (killedAt > 0 && Date.now() - killedAt > 60_000) return; // never back: the assertions say so
        const i = next++;
        if (i >= o.maxEvents) return;
        f.events++;
        const user = `ha-user-${i % 5}`;
        const key = `ha:${i}`;
        const started = Date.now();
        try {
          const r = await app.reco.feedback(
            { platform: 'console', externalId: user },
            items[(i * 5) % items.length]!,
            i % 4 === 3 ? 'dislike' : 'like',
            'button',
            key,
          );
          if (r.status !== 'applied' && r.status !== 'duplicate') throw new Error(r.status);
          acks.set(key, user);
          f.worstAckMs = Math.max(f.worstAckMs, Date.now() - started);
          // Back: a reaction begun after the kill was acknowledged (so the promoted primary took it).
          if (killedAt > 0 && started > killedAt) {
            afterKill++;
            if (f.backAfterMs < 0) f.backAfterMs = Date.now() - killedAt;
          }
        } catch (e) {
          if (!visibleStoreError(e)) throw e;
          f.failedVisibly++;
          await new Promise((r) => setTimeout(r, 100)); // a person would try again a moment later
        }
      }
    };
    const load = Promise.all(Array.from({ length: o.concurrency }, worker));
    while (acks.size < o.killAfterAcks && next < o.maxEvents) await new Promise((r) => setTimeout(r, 20));
    killedAt = Date.now();
    await ha.primary.kill();
    // Watch the set until the load ends: when the Sentinel names a new primary, and each change of "writable".
    let loadDone = false;
    const writableTimeline: Array<{ at: number; writable: boolean; port: number | undefined }> = [];
    const watch = (async () => {
      for (let i = 0; i < 1200 && !loadDone; i++) {
        const p = await ha.primaryPort();
        if (f.promotedAfterMs < 0 && p !== undefined && p !== ha.primary.port)
          f.promotedAfterMs = Date.now() - killedAt;
        const w = await ha.writable(p, 1);
        const last = writableTimeline.at(-1);
        if (last?.writable !== w || last.port !== p)
          writableTimeline.push({ at: Date.now() - killedAt, writable: w, port: p });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    void load.finally(() => {
      loadDone = true;
    });
    await load;
    await watch;
    // The start of the final writable stretch: the load stops a few hundred ms after writes come back, so that
    // stretch is the one they came back in. The watcher samples every ~100 ms and may see it after the client
    // did: then the catch-up is 0.
    f.timeline = writableTimeline.map((t) => `${t.writable ? '+' : '-'}${t.at}@${t.port ?? '?'}`).join(' ');
    let lastUp: { at: number } | undefined;
    for (const [i, t] of writableTimeline.entries()) if (t.writable && !writableTimeline[i - 1]?.writable) lastUp = t;
    if (lastUp !== undefined) f.writableAgainMs = f.backAfterMs > 0 ? Math.min(lastUp.at, f.backAfterMs) : lastUp.at;
  } finally {
    await app.close();
  }
  // Read back through a fresh client: the data must be on the promoted primary.
  const check = await open();
  try {
    const r = await checkAcks(check, acks);
    f.acknowledged = r.acknowledged;
    f.lost = r.lost.length;
  } finally {
    await check.close();
  }
  return f;
}

export interface FrozenFigures {
  /** Store calls made while the server was frozen, and the slowest answer among them. */
  calls: number;
  worstMs: number;
  timeoutMs: number;
  outcomes: Record<string, number>;
}

/**
 * Redis frozen with SIGSTOP (it accepts bytes and never answers): each store call must answer — with an error —
 * within twice the configured timeout.
 */
export async function frozenRedisCalls(
  redis: RedisServer,
  o: { timeoutMs: number; calls: number },
): Promise<FrozenFigures> {
  const store = await RedisStore.open(redis.url, {
    keyPrefix: `frz-${randomUUID().slice(0, 6)}`,
    commandTimeoutMs: o.timeoutMs,
  });
  const f: FrozenFigures = { calls: 0, worstMs: 0, timeoutMs: o.timeoutMs, outcomes: {} };
  try {
    await store.set('frz', 'k', 0);
    redis.process.kill('SIGSTOP');
    try {
      const ops: (() => Promise<unknown>)[] = [
        () => store.readBatch([{ ns: 'frz', key: 'k' }]),
        () => store.writeBatch([{ op: 'set', ns: 'frz', key: 'k', value: 1 }]),
        () => store.get('frz', 'k'),
        () => store.acquireLease('frz-lock', 'me', 1000),
      ];
      for (let i = 0; i < o.calls; i++) {
        const started = Date.now();
        let outcome = 'ok';
        try {
          await ops[i % ops.length]!();
        } catch (e) {
          outcome = isRecoError(e) ? e.code : 'other';
        }
        f.worstMs = Math.max(f.worstMs, Date.now() - started);
        f.outcomes[outcome] = (f.outcomes[outcome] ?? 0) + 1;
        f.calls++;
      }
    } finally {
      redis.process.kill('SIGCONT');
    }
  } finally {
    await store.close();
  }
  return f;
}
