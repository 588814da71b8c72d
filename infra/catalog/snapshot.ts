/**
 * `CatalogSnapshots` on the local file system: `<dir>/<key>/<created>-<random>/` holds one file per part (items as
 * JSON lines, each matrix and column as raw little-endian bytes, the ANN index as usearch's own file) and a
 * `manifest.json` written last with every file's size and CRC-32. A snapshot directory is written under a
 * temporary name and renamed into place, so a reader never sees half of one; several processes sharing a
 * DATA_DIR each write their own and read the newest that verifies. Each machine (Redis replicas) has its own.
 */
import { createHash, randomUUID } from 'node:crypto';
import { open, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ContentItem } from '../../core/domain.js';
import type { VectorIndexFactory } from '../../core/catalog/ann.js';
import type {
  CatalogSnapshots,
  SnapshotData,
  SnapshotKey,
  SnapshotLoad,
  SnapshotMeta,
} from '../../core/catalog/snapshot.js';

/** Bump when the layout changes: older snapshots are then ignored (and rebuilt). */
export const SNAPSHOT_FORMAT = 1;
const MANIFEST = 'manifest.json';
const KEEP = 2;

interface FileEntry {
  bytes: number;
  crc32: number;
}

interface Manifest {
  format: number;
  key: SnapshotKey;
  meta: SnapshotMeta;
  rows: number;
  terms: number;
  files: Record<string, FileEntry>;
}

/** A directory name for a snapshot key (encoder ids can hold any character). */
function keyDir(key: SnapshotKey): string {
  const label = key.textEncoderId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  const digest = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  return `${label}-${digest}`;
}

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Reads a whole file into a fresh, aligned buffer (files over 2 GiB included: read in pieces). */
async function readAll(path: string, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(new ArrayBuffer(size));
  const fh = await open(path, 'r');
  try {
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(out, off, Math.min(size - off, 1 << 28), off);
      if (bytesRead === 0) throw new Error(`${path}: file ended at ${off} of ${size} bytes`);
      off += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return out;
}

/** CRC-32 over large buffers in pieces (zlib's crc32 takes a running value). */
function crcOf(b: Uint8Array): number {
  let c = 0;
  for (let off = 0; off < b.byteLength; off += 1 << 28)
    c = crc32(b.subarray(off, Math.min(b.byteLength, off + (1 << 28))), c);
  return c;
}

/** CRC-32 of a file, streamed in 64 MiB pieces (an ANN index file is never held in memory whole). */
async function crcOfFile(path: string): Promise<{ bytes: number; crc32: number }> {
  const fh = await open(path, 'r');
  const buf = new Uint8Array(1 << 26);
  let crc = 0,
    bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, bytes);
      if (bytesRead === 0) break;
      crc = crc32(buf.subarray(0, bytesRead), crc);
      bytes += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { bytes, crc32: crc };
}

/** JSON lines, one item per line, written in pieces so a large catalog never becomes one giant string. */
function itemsToJsonl(items: readonly ContentItem[]): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < items.length; i += 10_000) {
    parts.push(
      Buffer.from(
        items
          .slice(i, i + 10_000)
          .map((it) => `${JSON.stringify(it)}\n`)
          .join(''),
        'utf8',
      ),
    );
  }
  return parts;
}

function jsonlToItems(b: Uint8Array, rows: number): ContentItem[] {
  const items: ContentItem[] = new Array<ContentItem>(rows);
  const decoder = new TextDecoder();
  let row = 0;
  let start = 0;
  // Parse 10,000 lines at a time as one JSON array: fewer parser calls, no whole-file string.
  while (start < b.byteLength) {
    let end = start;
    let lines = 0;
    while (end < b.byteLength && lines < 10_000) {
      const nl = b.indexOf(10, end);
      end = nl < 0 ? b.byteLength : nl + 1;
      lines++;
    }
    const text = decoder.decode(b.subarray(start, end)).trimEnd();
    const chunk = JSON.parse(`[${text.split('\n').join(',')}]`) as ContentItem[];
    for (const it of chunk) items[row++] = it;
    start = end;
  }
  if (row !== rows) throw new Error(`items: ${row} rows, manifest says ${rows}`);
  return items;
}

export interface FileSnapshotOptions {
  dir: string;
  /** Opens the saved ANN index (usearch `view`); without it snapshots carry no index. */
  annFactory?: VectorIndexFactory;
}

export class FileCatalogSnapshots implements CatalogSnapshots {
  readonly where: string;

  constructor(private readonly o: FileSnapshotOptions) {
    this.where = o.dir;
  }

  async load(key: SnapshotKey): Promise<SnapshotLoad> {
    const base = join(this.o.dir, keyDir(key));
    let names: string[];
    try {
      names = (await readdir(base))
        .filter((n) => !n.includes('.tmp'))
        .sort()
        .reverse();
    } catch {
      return { kind: 'none' };
    }
    if (names.length === 0) return { kind: 'none' };
    const reasons: string[] = [];
    for (const name of names) {
      try {
        return { kind: 'ok', data: await this.read(join(base, name), key) };
      } catch (e) {
        reasons.push(`${name}: ${(e as Error).message}`);
        // A snapshot that fails verification is removed: it is a cache, rebuilt from the store.
        await rm(join(base, name), { recursive: true, force: true }).catch(() => undefined);
      }
    }
    return { kind: 'invalid', reason: reasons.join('; ') };
  }

  private async read(dir: string, key: SnapshotKey): Promise<SnapshotData> {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
    } catch (e) {
      throw new Error(`manifest unreadable (${(e as Error).message})`);
    }
    if (manifest.format !== SNAPSHOT_FORMAT) throw new Error(`format ${manifest.format}, expected ${SNAPSHOT_FORMAT}`);
    if (JSON.stringify(manifest.key) !== JSON.stringify(key))
      throw new Error('made for other encoders or another index');
    const rows = manifest.rows;
    const files = new Map<string, Uint8Array>();
    for (const [name, entry] of Object.entries(manifest.files)) {
      if (name === 'ann.usearch') {
        // Verified here, then memory-mapped by the library (never handed to native code unverified).
        const got = await crcOfFile(join(dir, name));
        if (got.bytes !== entry.bytes) throw new Error(`${name}: ${got.bytes} bytes, manifest says ${entry.bytes}`);
        if (got.crc32 !== entry.crc32) throw new Error(`${name}: checksum mismatch`);
        continue;
      }
      const b = await readAll(join(dir, name), entry.bytes);
      if (crcOf(b) !== entry.crc32) throw new Error(`${name}: checksum mismatch`);
      files.set(name, b);
    }
    const need = (name: string, bytes: number): Uint8Array => {
      const b = files.get(name);
      if (!b) throw new Error(`${name} missing`);
      if (b.byteLength !== bytes) throw new Error(`${name}: ${b.byteLength} bytes, expected ${bytes}`);
      return b;
    };
    const f32 = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    const text = f32(need('text.f32', rows * key.textDim * 4));
    const termOffsets = new Int32Array(need('term-offsets.i32', (manifest.terms + 1) * 4).buffer);
    const termList = JSON.parse(new TextDecoder().decode(files.get('terms.json'))) as string[];
    const termRowsFlat = files.get('term-rows.i32');
    if (!termRowsFlat || termList.length !== manifest.terms) throw new Error('terms: inconsistent');
    const flat = new Int32Array(termRowsFlat.buffer, termRowsFlat.byteOffset, termRowsFlat.byteLength / 4);
    const termRows = new Map<string, Int32Array>();
    termList.forEach((t, i) => termRows.set(t, flat.subarray(termOffsets[i]!, termOffsets[i + 1]!)));
    const hashes = new TextDecoder().decode(need('row-hashes.txt', rows * 33)).split('\n');
    hashes.length = rows;
    const data: SnapshotData = {
      meta: manifest.meta,
      items: jsonlToItems(files.get('items.jsonl') ?? new Uint8Array(0), rows),
      text,
      publishedMs: new Float64Array(need('published.f64', rows * 8).buffer),
      sourcePopularity: f32(need('popularity.f32', rows * 4)),
      slots: new Uint32Array(need('slots.u32', rows * 4).buffer),
      rowHashes: hashes,
      termRows,
      priorRows: new Int32Array(files.get('prior-rows.i32')?.buffer ?? new ArrayBuffer(0)),
    };
    if (key.imageEncoderId) {
      data.image = f32(need('image.f32', rows * key.imageDim * 4));
      data.hasImage = need('has-image.u8', rows);
    }
    if (key.annId) {
      if (!this.o.annFactory || this.o.annFactory.id !== key.annId) throw new Error('no matching ANN library');
      if (!manifest.files['ann.usearch']) throw new Error('ann.usearch missing');
      data.ann = this.o.annFactory.open(join(dir, 'ann.usearch'), key.textDim);
      if (data.ann.size !== rows) throw new Error(`ann: ${data.ann.size} vectors, expected ${rows}`);
    }
    return data;
  }

  async save(key: SnapshotKey, data: SnapshotData): Promise<void> {
    const base = join(this.o.dir, keyDir(key));
    const name = `${data.meta.createdAt.toString().padStart(15, '0')}-${randomUUID().slice(0, 8)}`;
    const tmp = join(base, `${name}.tmp`);
    await mkdir(tmp, { recursive: true });
    try {
      const files: Record<string, FileEntry> = {};
      const put = async (file: string, parts: Uint8Array[]) => {
        const fh = await open(join(tmp, file), 'w');
        let crc = 0,
          bytes = 0;
        try {
          for (const p of parts) {
            await fh.write(p);
            crc = crc32(p, crc);
            bytes += p.byteLength;
          }
          await fh.sync();
        } finally {
          await fh.close();
        }
        files[file] = { bytes, crc32: crc };
      };
      const rows = data.items.length;
      await put('items.jsonl', itemsToJsonl(data.items));
      await put('text.f32', [bytesOf(data.text)]);
      if (key.imageEncoderId && data.image && data.hasImage) {
        await put('image.f32', [bytesOf(data.image)]);
        await put('has-image.u8', [bytesOf(data.hasImage)]);
      }
      await put('published.f64', [bytesOf(data.publishedMs)]);
      await put('popularity.f32', [bytesOf(data.sourcePopularity)]);
      await put('slots.u32', [bytesOf(data.slots)]);
      await put('row-hashes.txt', [Buffer.from(data.rowHashes.map((h) => `${h.padEnd(32).slice(0, 32)}\n`).join(''))]);
      await put('prior-rows.i32', [bytesOf(data.priorRows)]);
      const terms = [...data.termRows.keys()];
      const offsets = new Int32Array(terms.length + 1);
      let total = 0;
      terms.forEach((t, i) => {
        offsets[i] = total;
        total += data.termRows.get(t)!.length;
      });
      offsets[terms.length] = total;
      const flat = new Int32Array(total);
      terms.forEach((t, i) => flat.set(data.termRows.get(t)!, offsets[i]!));
      await put('terms.json', [Buffer.from(JSON.stringify(terms))]);
      await put('term-offsets.i32', [bytesOf(offsets)]);
      await put('term-rows.i32', [bytesOf(flat)]);
      if (key.annId && data.ann) {
        data.ann.save(join(tmp, 'ann.usearch'));
        files['ann.usearch'] = await crcOfFile(join(tmp, 'ann.usearch'));
      }
      const manifest: Manifest = { format: SNAPSHOT_FORMAT, key, meta: data.meta, rows, terms: terms.length, files };
      await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest));
      await rename(tmp, join(base, name));
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    await this.prune(base);
  }

  /** Keeps the newest snapshots (open views of removed files stay valid: unlinked files live on while mapped). */
  private async prune(base: string): Promise<void> {
    const names = (await readdir(base)).sort().reverse();
    const done = names.filter((n) => !n.endsWith('.tmp'));
    for (const old of done.slice(KEEP))
      await rm(join(base, old), { recursive: true, force: true }).catch(() => undefined);
    // Temporary directories of writers that died (older than an hour).
    for (const t of names.filter((n) => n.endsWith('.tmp'))) {
      const st = await stat(join(base, t)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 3_600_000)
        await rm(join(base, t), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
