/**
 * Evaluating recommendation lists from any other system with the project's own metrics (`core/eval/metrics.ts`),
 * so they sit in the compare view beside the harness's models. The result is a run of kind `upload` with the same
 * artifacts as an eval run (users.json, lists.json), written through the experiment registry.
 *
 * Relevance: every test row, or (with `positive`) rows whose rating is ≥ the threshold. Users are the test users with
 * at least one relevant item (RecBole's convention); a test user without a list scores 0. Items are ranked by `rank`
 * (ascending) or `score` (descending); ties keep file order.
 */
import { createHash } from 'node:crypto';
import {
  EXPERIMENT_SCHEMA,
  experimentId,
  summarize,
  type ExperimentLists,
  type ExperimentPools,
  type ExperimentRun,
  type ExperimentUsers,
} from '../core/eval/experiment.js';
import { computeMetrics } from '../core/eval/metrics.js';
import { perUserMetrics } from './per-user.js';
import { UploadError, idField, numberField, parseTable, type Row } from './upload-parse.js';

export { UploadError } from './upload-parse.js';

/** Most rows one uploaded file may have (besides the byte limit). */
export const MAX_UPLOAD_ROWS = 2_000_000;

export interface UploadInput {
  recommendations: { name: string; text: string };
  test: { name: string; text: string };
  /** Optional training interactions: item popularity (novelty, popularity buckets) and the most-popular lists (serendipity). */
  train?: { name: string; text: string };
  /** Display name of the uploaded model. */
  model: string;
  label?: string;
  ks: number[];
  /** `all`, or the least rating that counts as relevant. */
  positive: 'all' | number;
  /** An existing run of the same data: its catalog size, item popularity and item vectors are used when present. */
  reference?: { run: ExperimentRun; lists?: ExperimentLists; pools?: ExperimentPools };
  now?: Date;
  argv?: string[];
}

export interface UploadResult {
  run: ExperimentRun;
  users: ExperimentUsers;
  lists: ExperimentLists;
  notes: string[];
}

function rowsOf(file: { name: string; text: string }): Row[] {
  const rows = parseTable(file.name, file.text);
  if (rows.length === 0) throw new UploadError(file.name, undefined, 'no data rows below the header');
  if (rows.length > MAX_UPLOAD_ROWS)
    throw new UploadError(file.name, undefined, `${rows.length} rows; at most ${MAX_UPLOAD_ROWS} are accepted`);
  return rows;
}

/** user → item ids, best first. */
function readLists(file: { name: string; text: string }): Map<string, string[]> {
  const rows = rowsOf(file);
  const hasRank = 'rank' in rows[0]!.fields;
  const hasScore = 'score' in rows[0]!.fields;
  if (!hasRank && !hasScore)
    throw new UploadError(file.name, rows[0]!.line, 'needs a "rank" or a "score" column besides "user" and "item"');
  const by = new Map<string, { item: string; key: number; order: number; line: number }[]>();
  const firstLine = new Map<string, number>();
  rows.forEach((row, order) => {
    const user = idField(file.name, row, 'user');
    const item = idField(file.name, row, 'item');
    let key: number;
    if (hasRank) {
      const raw = row.fields.rank;
      const r = raw === '' || raw === null ? Number.NaN : Number(raw);
      if (!Number.isInteger(r) || r < 1)
        throw new UploadError(
          file.name,
          row.line,
          `"rank" must be a positive integer (1 = best), got ${JSON.stringify(row.fields.rank)}`,
        );
      key = r;
    } else {
      const s = numberField(file.name, row, 'score');
      if (s === undefined) throw new UploadError(file.name, row.line, 'the "score" column is empty');
      key = -s;
    }
    const pair = `${user}\u0000${item}`;
    const seen = firstLine.get(pair);
    if (seen !== undefined)
      throw new UploadError(
        file.name,
        row.line,
        `item "${item}" is listed twice for user "${user}" (first on line ${seen})`,
      );
    firstLine.set(pair, row.line);
    const list = by.get(user) ?? [];
    list.push({ item, key, order, line: row.line });
    by.set(user, list);
  });
  const out = new Map<string, string[]>();
  for (const [user, list] of by)
    out.set(
      user,
      list.sort((a, b) => a.key - b.key || a.order - b.order).map((e) => e.item),
    );
  return out;
}

/** Rows of an interactions file as (user, item, relevant). */
function readInteractions(
  file: { name: string; text: string },
  positive: 'all' | number,
): { user: string; item: string; relevant: boolean }[] {
  const rows = rowsOf(file);
  if (positive !== 'all' && !('rating' in rows[0]!.fields))
    throw new UploadError(
      file.name,
      rows[0]!.line,
      `relevance is "rating ≥ ${positive}" but the file has no "rating" column`,
    );
  return rows.map((row) => {
    const user = idField(file.name, row, 'user');
    const item = idField(file.name, row, 'item');
    if (positive === 'all') return { user, item, relevant: true };
    const rating = numberField(file.name, row, 'rating');
    if (rating === undefined) throw new UploadError(file.name, row.line, 'the "rating" column is empty');
    return { user, item, relevant: rating >= positive };
  });
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Evaluates an upload; throws {@link UploadError} for any problem in the files. */
export function evaluateUpload(input: UploadInput): UploadResult {
  const ks = [...new Set(input.ks)].filter((k) => Number.isInteger(k) && k > 0).sort((a, b) => a - b);
  if (ks.length === 0)
    throw new UploadError('settings', undefined, 'K must be one or more positive integers, e.g. 10 or 5,10,20');
  const notes: string[] = [];
  const lists = readLists(input.recommendations);
  const test = readInteractions(input.test, input.positive);
  const train = input.train ? readInteractions(input.train, 'all') : undefined;

  // Targets: relevant test items per user, users in order of first appearance.
  const targets = new Map<string, Set<string>>();
  for (const r of test) {
    if (!r.relevant) continue;
    const set = targets.get(r.user) ?? new Set<string>();
    set.add(r.item);
    targets.set(r.user, set);
  }
  if (targets.size === 0)
    throw new UploadError(input.test.name, undefined, 'no relevant test interactions (check the relevance threshold)');
  const users = [...targets.keys()];
  const noList = users.filter((u) => !lists.has(u)).length;
  if (noList > 0)
    notes.push(`${noList} of ${users.length} test users have no list in the upload: they count with zero hits.`);
  const extra = [...lists.keys()].filter((u) => !targets.has(u)).length;
  if (extra > 0) notes.push(`${extra} listed users have no relevant test item and are not evaluated.`);

  // The item universe and its index.
  const ref = input.reference;
  const refPopularity = ref?.lists?.itemPopularity ?? ref?.pools?.itemPopularity;
  const itemIndex = new Map<string, number>();
  const idOf: string[] = [];
  const indexOf = (id: string) => {
    let i = itemIndex.get(id);
    if (i === undefined) {
      i = idOf.length;
      itemIndex.set(id, i);
      idOf.push(id);
    }
    return i;
  };
  for (const list of lists.values()) for (const id of list) indexOf(id);
  for (const r of test) indexOf(r.item);
  if (train) for (const r of train) indexOf(r.item);
  if (refPopularity) for (const id of Object.keys(refPopularity)) indexOf(id);
  const refItems = ref?.lists?.nItems ?? ref?.pools?.nItems;
  const nItems = Math.max(idOf.length, refItems ?? 0);
  if (!refItems)
    notes.push(
      `Coverage and Gini are relative to the ${nItems} items that appear in the files (no reference run with a catalog size).`,
    );

  // Popularity: distinct training users per item (from the train file, else the reference run).
  const popularity = new Map<string, number>();
  let nTrainUsers = 0;
  const known = new Map<string, Set<string>>();
  if (train) {
    const usersOf = new Map<string, Set<string>>();
    for (const r of train) {
      const s = usersOf.get(r.item) ?? new Set<string>();
      s.add(r.user);
      usersOf.set(r.item, s);
      const k = known.get(r.user) ?? new Set<string>();
      k.add(r.item);
      known.set(r.user, k);
    }
    for (const [item, s] of usersOf) popularity.set(item, s.size);
    nTrainUsers = known.size;
  } else if (refPopularity) {
    for (const [item, c] of Object.entries(refPopularity)) popularity.set(item, c);
    nTrainUsers = ref?.pools?.nTrainUsers ?? ref?.run.dataset.users ?? 0;
  }
  const counts = new Int32Array(nItems);
  for (const [item, c] of popularity) counts[indexOf(item)] = c;

  // The user × K matrix of item indices (−1 padding).
  const width = ks[ks.length - 1]!;
  const matrix = new Int32Array(users.length * width).fill(-1);
  users.forEach((u, r) =>
    (lists.get(u) ?? []).slice(0, width).forEach((id, j) => (matrix[r * width + j] = indexOf(id))),
  );
  const relevant = users.map((u) => new Set([...targets.get(u)!].map(indexOf)));

  // Most-popular lists (serendipity), masking each user's training items: only with a train file.
  let popularLists: Int32Array | undefined;
  if (train) {
    const byPop = [...popularity.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([id]) => indexOf(id));
    popularLists = new Int32Array(users.length * width).fill(-1);
    users.forEach((u, r) => {
      const mask = known.get(u);
      let j = 0;
      for (const i of byPop) {
        if (j >= width) break;
        if (!mask?.has(idOf[i]!)) popularLists![r * width + j++] = i;
      }
    });
  } else notes.push('Serendipity needs a training file (the most-popular baseline is built from it).');

  // Item vectors (ILD) from the reference run's similarity space, only when every listed item has one.
  let vectors: Float32Array | undefined;
  let dim = 0;
  const refVectors = ref?.pools?.itemVectors;
  if (refVectors) {
    const listed = new Set<number>();
    for (const i of matrix) if (i >= 0) listed.add(i);
    const missing = [...listed].filter((i) => !refVectors[idOf[i]!]).length;
    if (missing === 0 && listed.size > 0) {
      dim = refVectors[idOf[[...listed][0]!]!]!.length;
      vectors = new Float32Array(nItems * dim);
      for (const i of listed) vectors.set(refVectors[idOf[i]!]!, i * dim);
    } else notes.push(`ILD is left out: ${missing} listed items have no vector in the reference run.`);
  } else notes.push('ILD needs item vectors: pick a reference run that has pools.json.');

  const haveNovelty = popularity.size > 0 && nTrainUsers > 0;
  if (!haveNovelty) notes.push('Novelty needs item popularity: upload a training file or pick a reference run.');
  const metrics = computeMetrics({
    lists: matrix,
    width,
    relevant,
    ks,
    nItems,
    ...(vectors ? { itemVectors: vectors, dim } : {}),
    ...(haveNovelty ? { itemUserCounts: counts, nTrainUsers } : {}),
    ...(popularLists ? { popularLists } : {}),
  });

  // Per-user values of the same metrics (distributions on the compare page).
  const perUser = perUserMetrics({
    lists: matrix,
    width,
    relevant,
    ks,
    itemVectors: vectors,
    dim,
    ...(haveNovelty ? { itemUserCounts: counts, nTrainUsers } : {}),
    popularLists,
  });

  const now = input.now ?? new Date();
  const testPrint = sha256(
    users
      .map((u) => `${u}\t${[...targets.get(u)!].sort().join(',')}`)
      .sort()
      .join('\n'),
  );
  // Same targets as the reference run → the same data: keep its fingerprint so the runs compare cleanly.
  const refTargets = ref?.lists;
  const sameData =
    refTargets !== undefined &&
    testPrint ===
      sha256(
        refTargets.users
          .map((u, i) => `${u}\t${[...new Set(refTargets.targets[i])].sort().join(',')}`)
          .sort()
          .join('\n'),
      );
  if (ref && !sameData)
    notes.push(
      "The test interactions differ from the reference run's targets: the compare view marks the datasets as different.",
    );
  const run: ExperimentRun = {
    schema: EXPERIMENT_SCHEMA,
    id: experimentId('upload', now),
    kind: 'upload',
    label: input.label?.trim() || input.recommendations.name,
    createdAt: now.toISOString(),
    git: { commit: null, dirty: null },
    argv: input.argv ?? [],
    dataset: {
      name: sameData ? ref!.run.dataset.name : ref ? `${ref.run.dataset.name} (uploaded test)` : input.test.name,
      fingerprint: sameData ? ref!.run.dataset.fingerprint : testPrint,
      users: users.length,
      items: nItems,
      interactions: test.length + (train?.length ?? 0),
      meta: {
        files: [input.recommendations.name, input.test.name, ...(input.train ? [input.train.name] : [])],
        ...(ref ? { reference: ref.run.id } : {}),
      },
    },
    split: {
      kind: sameData ? ref!.run.split.kind : 'upload',
      positive: input.positive,
      options: sameData ? ref!.run.split.options : {},
      train: train?.length ?? 0,
      valid: 0,
      test: test.length,
      coldUsers: 0,
    },
    ks,
    seeds: [0],
    models: [
      {
        name: input.model.trim() || 'upload',
        family: 'external',
        params: { file: input.recommendations.name },
        metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, summarize([v])])),
        fitSeconds: summarize([0]),
        users: users.length,
      },
    ],
    extra: { notes },
  };
  const modelName = run.models[0]!.name;
  const itemPopularity: Record<string, number> = {};
  for (const [item, c] of popularity) if (c > 0) itemPopularity[item] = c;
  return {
    run,
    users: { seed: 0, users, models: { [modelName]: perUser } },
    lists: {
      seed: 0,
      k: width,
      users,
      targets: users.map((u) => [...targets.get(u)!]),
      models: { [modelName]: users.map((u) => (lists.get(u) ?? []).slice(0, width)) },
      itemPopularity,
      nItems,
    },
    notes,
  };
}
