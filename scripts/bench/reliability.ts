/**
 * `npm run bench:reliability` — the fault scenarios of tests/reliability at a bigger size, with figures:
 * kill -9 of one of two replica processes under load (SQLite, Redis), the creation race + /forget, a Sentinel
 * failover under load, and store calls against a frozen Redis. Everything on 127.0.0.1; it stops by itself.
 *
 *   npm run bench:reliability                  # default sizes (a few minutes on 2 cores)
 *   npm run bench:reliability -- --trials 10 --events 400
 *
 * Prints a JSON line per scenario and a Markdown table for docs/RELIABILITY.md.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { hasBinary } from '../../tests/helpers/services.js';
import { startRedis } from '../../tests/helpers/redis.js';
import { startSentinelSet } from '../../tests/helpers/sentinel.js';
import {
  creationRaceThenForget,
  frozenRedisCalls,
  redisBackend,
  replicaKillTrials,
  sentinelFailover,
  sqliteBackend,
} from '../../tests/reliability/scenarios.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '6' },
    events: { type: 'string', default: '250' },
    races: { type: 'string', default: '10' },
    failovers: { type: 'string', default: '2' },
  },
});
const trials = Number(values.trials);
const events = Number(values.events);
const rows: string[] = [];
const row = (...cells: (string | number)[]) => rows.push(`| ${cells.join(' | ')} |`);
const log = (scenario: string, figures: object) => console.log(JSON.stringify({ scenario, ...figures }));

const kill = { trials, users: 4, eventsPerReplica: events, killAfterAcks: Math.floor(events / 4) };

{
  const b = sqliteBackend();
  try {
    const f = await replicaKillTrials(b, kill);
    log('sqlite kill -9', f);
    row(
      'SQLite, 2 replica processes, kill -9 one',
      f.trials,
      f.acknowledged,
      f.lost,
      `${f.duplicateUserDocs} duplicate docs`,
      `${f.worstAckMs} ms`,
    );
    const r = await creationRaceThenForget(b, { trials: Number(values.races) });
    log('sqlite creation race + forget', r);
    row(
      'SQLite, new person met by 2 processes, then /forget',
      r.trials,
      '—',
      `${r.docsLeft} docs, ${r.wordsInFiles} files with the words`,
      `${r.duplicateUserDocs} duplicate docs`,
      '—',
    );
  } finally {
    rmSync(b.target, { recursive: true, force: true });
  }
}

if (hasBinary('redis-server')) {
  const redis = await startRedis();
  try {
    const b = redisBackend(redis);
    const f = await replicaKillTrials(b, kill);
    log('redis kill -9', f);
    row(
      'Redis, 2 replica processes, kill -9 one',
      f.trials,
      f.acknowledged,
      f.lost,
      `${f.duplicateUserDocs} duplicate docs`,
      `${f.worstAckMs} ms`,
    );
    const r = await creationRaceThenForget(b, { trials: Number(values.races) });
    log('redis creation race + forget', r);
    row(
      'Redis, new person met by 2 processes, then /forget',
      r.trials,
      '—',
      `${r.docsLeft} docs left`,
      `${r.duplicateUserDocs} duplicate docs`,
      '—',
    );
    const z = await frozenRedisCalls(redis, { timeoutMs: 500, calls: 40 });
    log('redis frozen', z);
    row(
      'Redis frozen (SIGSTOP), timeout 500 ms',
      1,
      `${z.calls} calls`,
      '—',
      JSON.stringify(z.outcomes),
      `${z.worstMs} ms (limit ${2 * z.timeoutMs})`,
    );
  } finally {
    await redis.stop();
  }
}

if (hasBinary('redis-server') && hasBinary('redis-sentinel')) {
  for (let i = 0; i < Number(values.failovers); i++) {
    const ha = await startSentinelSet();
    try {
      const f = await sentinelFailover(ha, {
        maxEvents: 5000,
        killAfterAcks: events,
        acksAfterKill: events,
        concurrency: 4,
      });
      log('sentinel failover', f);
      row(
        'Redis primary + 2 replicas + Sentinel, kill -9 primary',
        1,
        f.acknowledged,
        f.lost,
        `promoted after ${f.promotedAfterMs} ms, writes back after ${f.backAfterMs} ms (budget ${f.failoverBudgetMs} ms); ${f.failedVisibly} visible failures`,
        `${f.worstAckMs} ms`,
      );
    } finally {
      await ha.stop();
    }
  }
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `\n${new Date().toISOString().slice(0, 10)} — ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log('| scenario | trials | acknowledged | lost | other | worst ack |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
