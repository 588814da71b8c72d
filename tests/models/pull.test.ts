import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRecoError } from '../../core/errors.js';
import { pullModel } from '../../models/pull.js';
import type { ModelEntry } from '../../models/registry.js';
import { tempDir as makeTempDir, tinyModels } from './helpers.js';

const tiny = tinyModels('pull');
/** Temp dirs are removed in afterAll too, so a failing test leaves nothing behind. */
const cleanups: (() => void)[] = [];
function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const t = makeTempDir(prefix);
  cleanups.push(t.cleanup);
  return t;
}
const REPO = 'test-org/tiny-text';
const FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
  'onnx/model_quantized.onnx',
];
const content = new Map(FILES.map((f) => [f, readFileSync(join(tiny.text.dir, f))]));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Seen {
  url: string;
  range: string | undefined;
  auth: string | undefined;
}
let seen: Seen[] = [];
/** Files whose next full (non-range) GET is cut after half the bytes — once `cut()` is called. */
const interruptNext = new Set<string>();
let cut: () => void = () => {};
/** Files served with a wrong X-Linked-ETag. */
const lieAboutSha = new Set<string>();
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ url: url.pathname, range: req.headers.range, auth: req.headers.authorization });
    const prefix = `/${REPO}/resolve/main/`;
    if (url.pathname.startsWith(prefix)) {
      const file = decodeURIComponent(url.pathname.slice(prefix.length));
      const body = content.get(file);
      if (!body) return void res.writeHead(404).end('not found');
      if (file.endsWith('.onnx')) {
        // the Hub: LFS files redirect to a CDN, with the SHA-256 and size on the redirect
        res.writeHead(302, {
          location: `/cdn/${file}`,
          'x-linked-etag': `"${lieAboutSha.has(file) ? '0'.repeat(64) : sha(body)}"`,
          'x-linked-size': String(body.length),
        });
        return void res.end();
      }
      return void res.writeHead(200, { 'content-length': body.length }).end(body);
    }
    if (url.pathname.startsWith('/cdn/')) {
      const file = url.pathname.slice('/cdn/'.length);
      const body = content.get(file)!;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        if (start >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        res.writeHead(206, {
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
          'content-length': body.length - start,
        });
        return void res.end(body.subarray(start));
      }
      res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'bytes' });
      if (interruptNext.delete(file)) {
        // send half, then close the connection once the client has written some of it (a short body)
        cut = () => res.socket?.end();
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        return;
      }
      return void res.end(body);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  for (const c of cleanups) c();
  tiny.cleanup();
});
beforeEach(() => {
  seen = [];
  interruptNext.clear();
  lieAboutSha.clear();
});

function entry(overrides: Partial<Record<string, string | null>> = {}): ModelEntry {
  return {
    name: 'tiny-text',
    kind: 'text',
    description: 'test',
    repo: REPO,
    revision: 'main',
    files: FILES.map((path) => ({
      path,
      sha256: path in overrides ? (overrides[path] ?? null) : null,
      size: null,
      ...(path.endsWith('.onnx')
        ? { variant: path.includes('quantized') ? ('quantized' as const) : ('fp32' as const) }
        : {}),
    })),
    dim: 32,
    pooling: 'mean',
    maxLength: 128,
    preprocessing: { text: { type: 'tokenizer', tokenizer: 'sentencepiece-unigram', lowercase: false } },
    licence: 'test',
    source: 'test',
  };
}

const opts = (modelsDir: string) => ({ modelsDir, endpoint, retries: 3, minRetryDelayMs: 1, progress: false });

describe('models:pull', () => {
  it('downloads the files of a variant, verifies them and writes a manifest', async () => {
    const { dir, cleanup } = tempDir('pull-full');
    const result = await pullModel(entry({ 'config.json': sha(content.get('config.json')!) }), {
      ...opts(dir),
      token: 'secret-token',
    });
    expect(result.files.map((f) => f.path)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model.onnx',
    ]);
    for (const f of result.files)
      expect(readFileSync(join(dir, 'tiny-text', f.path)).equals(content.get(f.path)!)).toBe(true);
    const byPath = Object.fromEntries(result.files.map((f) => [f.path, f]));
    expect(byPath['config.json']!.verifiedBy).toBe('registry-sha256');
    expect(byPath['onnx/model.onnx']!.verifiedBy).toBe('hub-sha256');
    expect(byPath['tokenizer.json']!.verifiedBy).toBe('size');
    expect(existsSync(join(dir, 'tiny-text', 'onnx/model_quantized.onnx'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(dir, 'tiny-text', '.pull-manifest.json'), 'utf8')) as {
      files: { path: string; sha256: string }[];
    };
    expect(manifest.files.find((f) => f.path === 'onnx/model.onnx')?.sha256).toBe(sha(content.get('onnx/model.onnx')!));
    // the token goes to the endpoint host (here also the CDN host, same origin) and never into the manifest
    expect(seen.every((s) => s.auth === 'Bearer secret-token')).toBe(true);
    expect(readFileSync(join(dir, 'tiny-text', '.pull-manifest.json'), 'utf8')).not.toContain('secret-token');

    // a second run finds everything present and downloads nothing
    seen = [];
    const again = await pullModel(entry(), opts(dir));
    expect(again.files.every((f) => f.skipped)).toBe(true);
    expect(seen).toHaveLength(0);
    cleanup();
  });

  it('resumes an interrupted download with a Range request', async () => {
    const { dir, cleanup } = tempDir('pull-resume');
    const file = 'onnx/model.onnx';
    const body = content.get(file)!;
    interruptNext.add(file);
    let cutDone = false;
    const result = await pullModel(entry(), {
      ...opts(dir),
      onProgress: (f) => {
        if (f === file && !cutDone) {
          cutDone = true;
          cut();
        }
      },
    });
    const pulled = result.files.find((f) => f.path === file)!;
    expect(pulled.sha256).toBe(sha(body));
    const cdn = seen.filter((s) => s.url === `/cdn/${file}`);
    expect(cdn).toHaveLength(2);
    expect(cdn[0]!.range).toBeUndefined();
    expect(cdn[1]!.range).toMatch(/^bytes=\d+-$/);
    const resumedFrom = Number(/bytes=(\d+)-/.exec(cdn[1]!.range!)![1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(pulled.downloaded).toBe(body.length); // first half + the rest, nothing twice
    expect(readFileSync(join(dir, 'tiny-text', file)).equals(body)).toBe(true);
    expect(existsSync(join(dir, 'tiny-text', `${file}.part`))).toBe(false);
    cleanup();
  });

  it('resumes a .part left by an earlier run', async () => {
    const { dir, cleanup } = tempDir('pull-part');
    const file = 'onnx/model.onnx';
    const body = content.get(file)!;
    mkdirSync(join(dir, 'tiny-text', 'onnx'), { recursive: true });
    writeFileSync(join(dir, 'tiny-text', `${file}.part`), body.subarray(0, 1000));
    const result = await pullModel(entry(), opts(dir));
    expect(seen.find((s) => s.url === `/cdn/${file}`)?.range).toBe('bytes=1000-');
    expect(result.files.find((f) => f.path === file)!.downloaded).toBe(body.length - 1000);
    expect(readFileSync(join(dir, 'tiny-text', file)).equals(body)).toBe(true);
    cleanup();
  });

  it('a checksum mismatch fails with MODEL_FILE_INVALID, deletes the partial file and keeps nothing', async () => {
    const { dir, cleanup } = tempDir('pull-bad');
    const err = await pullModel(entry({ 'tokenizer.json': 'f'.repeat(64) }), opts(dir)).catch((e: unknown) => e);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/tokenizer\.json: sha256 mismatch \(expected f{64}, got [0-9a-f]{64}\)/);
    expect(existsSync(join(dir, 'tiny-text', 'tokenizer.json'))).toBe(false);
    expect(existsSync(join(dir, 'tiny-text', 'tokenizer.json.part'))).toBe(false);
    // not retried: the same bytes would come back
    expect(seen.filter((s) => s.url.endsWith('/tokenizer.json'))).toHaveLength(1);
    cleanup();
  });

  it("a mismatch against the Hub's X-Linked-ETag fails too", async () => {
    const { dir, cleanup } = tempDir('pull-hubsha');
    lieAboutSha.add('onnx/model.onnx');
    const err = await pullModel(entry(), opts(dir)).catch((e: unknown) => e);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toContain('onnx/model.onnx: sha256 mismatch');
    cleanup();
  });

  it('a 404 fails at once without retries', async () => {
    const { dir, cleanup } = tempDir('pull-404');
    const e = entry();
    e.files.push({ path: 'missing.json', sha256: null, size: null });
    const err = await pullModel(e, opts(dir)).catch((x: unknown) => x);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toContain('HTTP 404');
    expect(seen.filter((s) => s.url.endsWith('/missing.json'))).toHaveLength(1);
    cleanup();
  });
});
