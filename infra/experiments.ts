/**
 * The experiment registry on disk: one folder per run under `<DATA_DIR>/experiments/` (shapes and validation in
 * `core/eval/experiment.ts`). Writes are atomic per file (temp file + rename) and `run.json` is written last, so a
 * folder without `run.json` is an unfinished run that readers skip.
 *
 * @example
 * const dir = experimentsDir(config.DATA_DIR);
 * await writeExperiment(dir, run, { users, lists, pools });
 * for (const entry of await listExperiments(dir)) console.log(entry.run.id, entry.run.models.length);
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import {
  experimentListsSchema,
  experimentPoolsSchema,
  experimentRunSchema,
  experimentUsersSchema,
  type ExperimentLists,
  type ExperimentPools,
  type ExperimentRun,
  type ExperimentUsers,
} from '../core/eval/experiment.js';

export const experimentsDir = (dataDir: string): string => path.join(dataDir, 'experiments');

export interface ExperimentArtifacts {
  users?: ExperimentUsers;
  lists?: ExperimentLists;
  pools?: ExperimentPools;
}

const ARTIFACTS = {
  users: { file: 'users.json', schema: experimentUsersSchema },
  lists: { file: 'lists.json', schema: experimentListsSchema },
  pools: { file: 'pools.json', schema: experimentPoolsSchema },
} as const;

async function writeAtomic(file: string, data: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(data));
  await rename(tmp, file);
}

/** Validates and writes a run and its artifacts; returns the run folder. */
export async function writeExperiment(
  dir: string,
  run: ExperimentRun,
  artifacts: ExperimentArtifacts = {},
): Promise<string> {
  const parsed = experimentRunSchema.parse(run);
  const folder = path.join(dir, parsed.id);
  await mkdir(folder, { recursive: true });
  for (const [key, { file, schema }] of Object.entries(ARTIFACTS)) {
    const value = artifacts[key as keyof ExperimentArtifacts];
    if (value !== undefined) await writeAtomic(path.join(folder, file), (schema as z.ZodType).parse(value));
  }
  await writeAtomic(path.join(folder, 'run.json'), parsed);
  return folder;
}

export interface ExperimentEntry {
  folder: string;
  run: ExperimentRun;
}

export interface ExperimentProblem {
  folder: string;
  message: string;
}

/** Every readable run, newest first, and one problem line per folder that is not a valid run. */
export async function listExperiments(
  dir: string,
): Promise<{ runs: ExperimentEntry[]; problems: ExperimentProblem[] }> {
  if (!existsSync(dir)) return { runs: [], problems: [] };
  const runs: ExperimentEntry[] = [];
  const problems: ExperimentProblem[] = [];
  for (const name of (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    const folder = path.join(dir, name.name);
    const file = path.join(folder, 'run.json');
    if (!existsSync(file)) continue; // unfinished or foreign folder
    try {
      runs.push({ folder, run: experimentRunSchema.parse(JSON.parse(await readFile(file, 'utf8'))) });
    } catch (e) {
      problems.push({ folder, message: `run.json is not a valid experiment record: ${(e as Error).message}` });
    }
  }
  runs.sort((a, b) => (a.run.id < b.run.id ? 1 : a.run.id > b.run.id ? -1 : 0));
  return { runs, problems };
}

/** Reads one artifact of a run; `undefined` when the run has none. Throws with the file name when it is invalid. */
export async function readArtifact<K extends keyof ExperimentArtifacts>(
  folder: string,
  key: K,
): Promise<ExperimentArtifacts[K] | undefined> {
  const { file, schema } = ARTIFACTS[key];
  const full = path.join(folder, file);
  if (!existsSync(full)) return undefined;
  const raw: unknown = JSON.parse(await readFile(full, 'utf8'));
  const result = (schema as z.ZodType).safeParse(raw);
  if (!result.success) throw new Error(`${full} is not a valid ${key} record: ${result.error.message}`);
  return result.data as ExperimentArtifacts[K];
}

/** The checkout's commit and whether the work tree has changes; nulls outside a git checkout. */
export function gitState(cwd = process.cwd()): ExperimentRun['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        cwd,
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim().length > 0;
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}
