/**
 * The key a thumbnail's platform reference is stored under (core/recommend/media.ts): a local file by the
 * SHA-256 of its bytes (two items sharing one image share one upload; a file rewritten in place gets a new key),
 * a remote image by its URL's. The file hash is computed once per path and kept while the file's size and mtime
 * stay the same, so the send path costs one `stat`, not a read.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

const memo = new Map<string, { size: number; mtimeMs: number; key: string }>();
const MEMO_CAP = 50_000;

/** `file:<sha256 of the bytes>` and the size of a readable regular file (one `stat`), undefined when it cannot be read. */
export function fileMedia(absPath: string): { key: string; size: number } | undefined {
  try {
    const st = statSync(absPath);
    if (!st.isFile()) return undefined;
    const hit = memo.get(absPath);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return { key: hit.key, size: st.size };
    const key = `file:${createHash('sha256').update(readFileSync(absPath)).digest('base64url').slice(0, 32)}`;
    if (memo.size >= MEMO_CAP) memo.delete(memo.keys().next().value!);
    memo.set(absPath, { size: st.size, mtimeMs: st.mtimeMs, key });
    return { key, size: st.size };
  } catch {
    return undefined;
  }
}

export function fileMediaKey(absPath: string): string | undefined {
  return fileMedia(absPath)?.key;
}

/** `url:<sha256 of the URL>`. */
export function urlMediaKey(url: string): string {
  return `url:${createHash('sha256').update(url).digest('base64url').slice(0, 32)}`;
}
