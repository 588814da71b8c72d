import { describe, expect, it } from 'vitest';
import { evaluateUpload, UploadError, type UploadInput } from '../../dashboard/upload.js';
import { canonicalColumn, parseTable } from '../../dashboard/upload-parse.js';
import { experimentListsSchema, experimentRunSchema, experimentUsersSchema } from '../../core/eval/experiment.js';
import { HAND_METRICS, HAND_RECS, HAND_TEST, handRun } from './fixtures.js';

const input = (over: Partial<UploadInput> = {}): UploadInput => ({
  recommendations: { name: 'recs.csv', text: HAND_RECS },
  test: { name: 'test.csv', text: HAND_TEST },
  model: 'mine',
  ks: [3],
  positive: 'all',
  now: new Date('2026-11-30T12:00:00Z'),
  ...over,
});

function uploadError(f: () => unknown): UploadError {
  try {
    f();
  } catch (e) {
    if (e instanceof UploadError) return e;
    throw e;
  }
  throw new Error('expected an UploadError');
}

describe('dashboard upload: evaluation', () => {
  it('GIVEN the hand-made lists and test rows THEN every metric equals the hand computation', () => {
    const r = evaluateUpload(input());
    const m = r.run.models[0]!;
    for (const [key, value] of Object.entries(HAND_METRICS)) expect(m.metrics[key]!.mean, key).toBeCloseTo(value, 10);
    expect(m.users).toBe(2);
    expect(r.run.kind).toBe('upload');
    // The artifacts satisfy the experiment contract, and the per-user values average to the table's numbers.
    expect(() => experimentRunSchema.parse(r.run)).not.toThrow();
    expect(() => experimentUsersSchema.parse(r.users)).not.toThrow();
    expect(() => experimentListsSchema.parse(r.lists)).not.toThrow();
    const ndcg = r.users.models.mine!['ndcg@3']!;
    expect((ndcg[0]! + ndcg[1]!) / 2).toBeCloseTo(HAND_METRICS['ndcg@3']!, 10);
    expect(r.lists.models.mine).toEqual([
      ['a', 'b', 'c'],
      ['c', 'd', 'a'],
    ]);
  });

  it('GIVEN scores instead of ranks, shuffled rows, JSON or JSON Lines THEN the same metrics', () => {
    const byScore = 'user,item,score\nu2,a,0.1\nu1,c,0.2\nu1,a,0.9\nu2,c,0.95\nu1,b,0.5\nu2,d,0.3\n';
    const rows = HAND_RECS.trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .map(([user, item, rank]) => ({ user, item, rank: Number(rank) }));
    const json = JSON.stringify(rows, null, 2);
    const jsonl = rows.map((r) => JSON.stringify(r)).join('\n');
    for (const text of [byScore, json, jsonl]) {
      const m = evaluateUpload(input({ recommendations: { name: 'r', text } })).run.models[0]!;
      expect(m.metrics['ndcg@3']!.mean).toBeCloseTo(HAND_METRICS['ndcg@3']!, 10);
      expect(m.metrics['map@3']!.mean).toBeCloseTo(HAND_METRICS['map@3']!, 10);
    }
  });

  it('GIVEN RecBole atomic-file headers, a tab delimiter and a rating threshold THEN only ratings ≥ the threshold are relevant', () => {
    const recs = 'user_id:token\titem_id:token\trank:float\nu1\ta\t1\nu1\tb\t2\n';
    const test = 'user_id:token\titem_id:token\trating:float\nu1\ta\t2\nu1\tb\t5\n';
    const r = evaluateUpload(
      input({
        recommendations: { name: 'r.inter', text: recs },
        test: { name: 't', text: test },
        ks: [2],
        positive: 4,
      }),
    );
    // Only b (rating 5) is relevant: hit at rank 2 → NDCG = 1/log2(3).
    expect(r.run.models[0]!.metrics['ndcg@2']!.mean).toBeCloseTo(1 / Math.log2(3), 10);
    expect(canonicalColumn('User_ID:token')).toBe('user');
  });

  it('GIVEN a training file THEN novelty, serendipity and popularity use it', () => {
    const train = 'user,item\nu1,a\nu2,a\nu3,a\nu3,d\n';
    const r = evaluateUpload(input({ train: { name: 'train.csv', text: train } }));
    const m = r.run.models[0]!.metrics;
    // u1 list a,b,c: a has 3 of 3 training users (−log2 1 = 0), b and c none (counted as 1 user: log2 3).
    // u2 list c,d,a: c log2 3, d 1 of 3 users (log2 3), a 0.  Mean over users: (2/3·log2 3 + 2/3·log2 3)/2.
    expect(m['novelty@3']!.mean).toBeCloseTo((2 / 3) * Math.log2(3), 10);
    expect(m['serendipity@3']).toBeDefined();
    expect(r.lists.itemPopularity).toEqual({ a: 3, d: 1 });
  });

  it('GIVEN a reference run with the same targets THEN the upload keeps its dataset fingerprint and catalog size', () => {
    const { run, lists } = handRun();
    const test = 'user,item\nx,h\ny,t1\nz,m1\nz,t2\n';
    const recs = 'user,item,rank\nx,h,1\ny,h,1\nz,t2,1\n';
    const r = evaluateUpload(
      input({
        recommendations: { name: 'r', text: recs },
        test: { name: 't', text: test },
        ks: [2],
        reference: { run, lists },
      }),
    );
    expect(r.run.dataset.fingerprint).toBe(run.dataset.fingerprint);
    expect(r.run.models[0]!.metrics['coverage@2']!.mean).toBeCloseTo(2 / 6, 10);
    const other = evaluateUpload(
      input({
        recommendations: { name: 'r', text: recs },
        test: { name: 't', text: 'user,item\nx,h\n' },
        ks: [2],
        reference: { run, lists },
      }),
    );
    expect(other.run.dataset.fingerprint).not.toBe(run.dataset.fingerprint);
  });
});

describe('dashboard upload: bad files name the line', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a rank that is not a number',
      'user,item,rank\nu1,a,1\nu1,b,two\n',
      /recs\.csv, line 3: "rank" must be a positive integer/,
    ],
    ['a row with a missing field', 'user,item,rank\nu1,a,1\n\nu1,b\n', /recs\.csv, line 4: .*Record Length/i],
    ['an unclosed quote', 'user,item,rank\nu1,"a,1\n', /recs\.csv, line \d+: .*Quote Not Closed/i],
    ['no rank or score column', 'user,item\nu1,a\n', /recs\.csv, line 2: needs a "rank" or a "score" column/],
    [
      'an item twice for one user',
      'user,item,rank\nu1,a,1\nu1,b,2\nu1,a,3\n',
      /recs\.csv, line 4: item "a" is listed twice for user "u1" \(first on line 2\)/,
    ],
    ['an empty user', 'user,item,rank\nu1,a,1\n,b,2\n', /recs\.csv, line 3: the "user" column is empty/],
    [
      'a broken element of a JSON array',
      '[\n  {"user": "u1", "item": "a", "rank": 1},\n  {"user": "u1", "item": "b", "rank": 2,},\n]',
      /recs\.csv, line 3: not valid JSON/,
    ],
    [
      'a trailing comma in a JSON array',
      '[\n  {"user": "u1", "item": "a", "rank": 1},\n]',
      /recs\.csv, line 3: unexpected "\]"/,
    ],
    [
      'an unclosed JSON array',
      '[\n  {"user": "u1", "item": "a", "rank": 1}\n',
      /recs\.csv, line \d: the JSON array is not closed/,
    ],
    [
      'a bad JSON Lines row',
      '{"user": "u1", "item": "a", "rank": 1}\n{"user": "u1" "item": "b"}\n',
      /recs\.csv, line 2: not valid JSON/,
    ],
    [
      'a JSON row that is not an object',
      '{"user": "u1", "item": "a", "rank": 1}\n[1, 2]\n',
      /recs\.csv, line 2: expected an object/,
    ],
    ['an empty file', '', /recs\.csv: the file is empty/],
    ['a header only', 'user,item,rank\n', /recs\.csv: no data rows/],
  ];
  for (const [what, text, pattern] of cases)
    it(`GIVEN ${what} THEN the error names it`, () => {
      const e = uploadError(() => evaluateUpload(input({ recommendations: { name: 'recs.csv', text } })));
      expect(e.message).toMatch(pattern);
    });

  it('GIVEN a relevance threshold and test rows without ratings THEN the error says which column is missing', () => {
    const e = uploadError(() => evaluateUpload(input({ positive: 4 })));
    expect(e.message).toMatch(/test\.csv, line 2: .*no "rating" column/);
  });

  it('GIVEN hostile input (binary noise, deep nesting) THEN an UploadError, never another exception', () => {
    const noise = Array.from({ length: 2000 }, (_, i) => String.fromCharCode((i * 7919) % 65535)).join('');
    for (const text of [
      noise,
      '['.repeat(5000),
      '{'.repeat(5000),
      '"'.repeat(3001),
      'user,item,rank\n' + 'x,'.repeat(10000),
    ])
      expect(() => parseTable('f', text) && evaluateUpload(input({ recommendations: { name: 'f', text } }))).toThrow(
        UploadError,
      );
  });
});
