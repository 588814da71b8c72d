/**
 * Downloads a registry model from the Hugging Face Hub into `<MODELS_DIR>/<name>/`.
 *
 *   npm run models:pull -- paraphrase-multilingual-MiniLM-L12-v2
 *   npm run models:pull -- clip-vit-b32 --quantized
 *   npm run models:pull -- --list
 *
 * - URL: `${HF_ENDPOINT:-https://huggingface.co}/<repo>/resolve/<revision>/<file>` (HF_ENDPOINT for mirrors and tests;
 *   HF_TOKEN, when set, is sent as a bearer token to the endpoint's host only and never logged).
 * - Resumes: bytes go to `<file>.part`; a later run (or a retry after a dropped connection) asks for the rest with
 *   `Range: bytes=<n>-`. A server that ignores Range (200) restarts the file.
 * - Verifies: SHA-256 against the registry, else against the Hub's `X-Linked-ETag` (SHA-256 of LFS files), else the
 *   size only (registry, `X-Linked-Size` or Content-Length). A mismatch deletes the partial file and fails with
 *   `MODEL_FILE_INVALID`; it is not retried (the same bytes would come back).
 * - Retries network errors and 5xx/429 with p-retry (exponential back-off); 4xx other than 416/429 fail at once.
 * - Writes `.pull-manifest.json` with every file's SHA-256 and size, and prints hashes the registry does not pin yet.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import pRetry, { AbortError } from 'p-retry';
import { RecoError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { filesForVariant, type ModelEntry, type ModelFile, type ModelVariant } from './registry.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
export const MANIFEST_FILE = '.pull-manifest.json';

export interface PullOptions {
  /** The models directory (MODELS_DIR); files go to `<modelsDir>/<entry.name>/`. */
  modelsDir: string;
  /** Default: https://huggingface.co (the CLI passes HF_ENDPOINT from core/config.ts). */
  endpoint?: string;
  /** A Hugging Face token for gated models (the CLI passes HF_TOKEN from core/config.ts). */
  token?: string;
  variant?: ModelVariant;
  /** Retries per file after the first attempt. Default 4. */
  retries?: number;
  /** First back-off in ms (doubles each time). Default 1000. */
  minRetryDelayMs?: number;
  /** Show cli-progress bars (default: when stderr is a TTY). */
  progress?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
  /** Called after every chunk written to disk: bytes of this file fetched in this run so far. */
  onProgress?: (file: string, downloadedBytes: number) => void;
}

export interface PulledFile {
  path: string;
  sha256: string;
  size: number;
  /** How the download was verified. */
  verifiedBy: 'registry-sha256' | 'hub-sha256' | 'size' | 'none';
  /** True when it was already present and valid. */
  skipped: boolean;
  /** Bytes fetched over the network in this run. */
  downloaded: number;
}

export interface PullResult {
  name: string;
  dir: string;
  files: PulledFile[];
}

interface RemoteMeta {
  /** SHA-256 from the Hub (X-Linked-ETag) when it looks like one. */
  hubSha256?: string;
  /** Total size when the server said (X-Linked-Size, Content-Range total, or Content-Length of a 200). */
  totalSize?: number;
}

export function fileUrl(endpoint: string, entry: Pick<ModelEntry, 'repo' | 'revision'>, path: string): string {
  const base = endpoint.replace(/\/+$/, '');
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `${base}/${entry.repo}/resolve/${encodeURIComponent(entry.revision)}/${encodedPath}`;
}

/** Downloads (or verifies) every file of `entry` for the chosen variant. */
export async function pullModel(entry: ModelEntry, options: PullOptions): Promise<PullResult> {
  const logger = options.logger ?? silentLogger;
  const endpoint = options.endpoint ?? DEFAULT_HF_ENDPOINT;
  const token = options.token;
  const variant = options.variant ?? 'fp32';
  const dir = resolve(options.modelsDir, entry.name);
  mkdirSync(dir, { recursive: true });
  const showProgress = options.progress ?? process.stderr.isTTY === true;
  const bars = showProgress
    ? new cliProgress.MultiBar(
        {
          format: ' {bar} {percentage}% | {file} | {value}/{total} bytes | {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;

  const results: PulledFile[] = [];
  try {
    for (const file of filesForVariant(entry, variant)) {
      results.push(await pullFile(entry, file, { dir, endpoint, token, options, logger, bars }));
    }
  } finally {
    bars?.stop();
  }
  writeFileSync(
    join(dir, MANIFEST_FILE),
    `${JSON.stringify(
      {
        name: entry.name,
        repo: entry.repo,
        revision: entry.revision,
        variant,
        pulledAt: new Date().toISOString(),
        files: results.map(({ path, sha256, size, verifiedBy }) => ({ path, sha256, size, verifiedBy })),
      },
      null,
      2,
    )}\n`,
  );
  return { name: entry.name, dir, files: results };
}

interface FileContext {
  dir: string;
  endpoint: string;
  token: string | undefined;
  options: PullOptions;
  logger: Logger;
  bars: cliProgress.MultiBar | undefined;
}

async function pullFile(entry: ModelEntry, file: ModelFile, ctx: FileContext): Promise<PulledFile> {
  const dest = join(ctx.dir, file.path);
  const part = `${dest}.part`;
  mkdirSync(dirname(dest), { recursive: true });
  const url = fileUrl(ctx.endpoint, entry, file.path);

  // Already there? Verify what we can without the network.
  if (existsSync(dest)) {
    const size = statSync(dest).size;
    const sha256 = await sha256File(dest);
    const okSha = file.sha256 === null || file.sha256 === sha256;
    const okSize = file.size === null || file.size === size;
    if (okSha && okSize) {
      ctx.logger.info({ file: file.path }, 'model file already present');
      return {
        path: file.path,
        sha256,
        size,
        verifiedBy: file.sha256 !== null ? 'registry-sha256' : file.size !== null ? 'size' : 'none',
        skipped: true,
        downloaded: 0,
      };
    }
    ctx.logger.warn({ file: file.path }, 'model file present but does not match the registry; downloading it again');
    rmSync(dest);
  }

  let downloaded = 0;
  let meta: RemoteMeta = {};
  await pRetry(
    async () => {
      const r = await downloadToPart(url, part, file.path, ctx, (n) => {
        downloaded += n;
        ctx.options.onProgress?.(file.path, downloaded);
      });
      meta = { ...meta, ...r.meta };
    },
    {
      retries: ctx.options.retries ?? 4,
      minTimeout: ctx.options.minRetryDelayMs ?? 1000,
      factor: 2,
      ...(ctx.options.signal ? { signal: ctx.options.signal } : {}),
      onFailedAttempt: (e) => {
        ctx.logger.warn(
          { file: file.path, attempt: e.attemptNumber, retriesLeft: e.retriesLeft, err: e.message },
          'download attempt failed; will resume',
        );
      },
    },
  );

  const size = statSync(part).size;
  const sha256 = await sha256File(part);
  const expectedSha = file.sha256 ?? meta.hubSha256 ?? null;
  const expectedSize = file.size ?? meta.totalSize ?? null;
  const fail = (what: string) => {
    rmSync(part, { force: true });
    return new RecoError(
      'MODEL_FILE_INVALID',
      `${entry.name}/${file.path}: ${what}; the partial download was deleted — run the pull again`,
      {
        details: { file: dest, url },
      },
    );
  };
  if (expectedSha !== null && expectedSha !== sha256)
    throw fail(`sha256 mismatch (expected ${expectedSha}, got ${sha256})`);
  if (expectedSize !== null && expectedSize !== size)
    throw fail(`size mismatch (expected ${expectedSize} bytes, got ${size})`);
  renameSync(part, dest);
  const verifiedBy: PulledFile['verifiedBy'] =
    file.sha256 !== null
      ? 'registry-sha256'
      : meta.hubSha256 !== undefined
        ? 'hub-sha256'
        : expectedSize !== null
          ? 'size'
          : 'none';
  if (file.sha256 === null) {
    ctx.logger.info(
      { file: file.path, sha256, size, verifiedBy },
      'sha256 not pinned in models/registry.ts; computed it (recorded in .pull-manifest.json)',
    );
  }
  return { path: file.path, sha256, size, verifiedBy, skipped: false, downloaded };
}

/** One attempt: resumes `part` from its current length. Throws AbortError for failures a retry cannot fix. */
async function downloadToPart(
  url: string,
  part: string,
  label: string,
  ctx: FileContext,
  onBytes: (n: number) => void,
): Promise<{ bytes: number; meta: RemoteMeta }> {
  const have = existsSync(part) ? statSync(part).size : 0;
  const headers: Record<string, string> = { 'user-agent': 'deep-reco-models-pull/1' };
  if (have > 0) headers.range = `bytes=${have}-`;
  const { response, meta } = await fetchFollowingRedirects(url, headers, ctx);

  if (response.status === 416 && have > 0) {
    // Range not satisfiable: the part file is already complete (or longer than the file); verification decides.
    await response.body?.cancel();
    return { bytes: 0, meta };
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    const err = new Error(`GET ${url} → HTTP ${response.status}`);
    if (response.status >= 500 || response.status === 429 || response.status === 408) throw err;
    throw new AbortError(
      new RecoError(
        'MODEL_FILE_INVALID',
        `${label}: HTTP ${response.status} from ${url}${response.status === 401 || response.status === 403 ? ' (gated model? set HF_TOKEN)' : ''}`,
        { cause: err },
      ),
    );
  }
  if (!response.body) throw new Error(`GET ${url}: empty body`);

  let append = false;
  if (response.status === 206) {
    const range = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== have) {
      // A 206 for another range than the one asked for: start again from scratch.
      await response.body.cancel();
      rmSync(part, { force: true });
      throw new Error(`GET ${url}: unexpected Content-Range ${response.headers.get('content-range') ?? '(none)'}`);
    }
    if (range[3] !== '*') meta.totalSize ??= Number(range[3]);
    append = true;
  } else {
    const len = response.headers.get('content-length');
    if (len !== null) meta.totalSize ??= Number(len);
  }

  const bar = ctx.bars?.create(meta.totalSize ?? 0, append ? have : 0, { file: label });
  let bytes = 0;
  // Chunks are written one by one with a file handle (not a buffered stream), so whatever arrived before a dropped
  // connection is on disk and the retry resumes after it.
  const fh = await open(part, append ? 'a' : 'w');
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      bytes += chunk.length;
      onBytes(chunk.length);
      bar?.increment(chunk.length);
    }
  } finally {
    await fh.close();
    bar?.stop();
  }
  return { bytes, meta };
}

/**
 * fetch with manual redirects, so the Hub's headers on the first (302) response — X-Linked-ETag, X-Linked-Size — are
 * kept, and the bearer token is only sent to the endpoint's own host.
 */
async function fetchFollowingRedirects(
  url: string,
  headers: Record<string, string>,
  ctx: FileContext,
): Promise<{ response: Response; meta: RemoteMeta }> {
  const meta: RemoteMeta = {};
  const endpointHost = new URL(ctx.endpoint).host;
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const h = { ...headers };
    if (ctx.token && new URL(current).host === endpointHost) h.authorization = `Bearer ${ctx.token}`;
    const init: RequestInit = { headers: h, redirect: 'manual' };
    if (ctx.options.signal) init.signal = ctx.options.signal;
    const response = await fetch(current, init);
    const etag = response.headers.get('x-linked-etag')?.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
    if (etag && /^[0-9a-f]{64}$/.test(etag)) meta.hubSha256 ??= etag;
    const linkedSize = response.headers.get('x-linked-size');
    if (linkedSize !== null && /^\d+$/.test(linkedSize)) meta.totalSize ??= Number(linkedSize);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      current = new URL(location, current).href;
      continue;
    }
    return { response, meta };
  }
  throw new AbortError(new RecoError('MODEL_FILE_INVALID', `too many redirects for ${url}`));
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

// ---------------------------------------------------------------- CLI
