/**
 * Platform references to media already uploaded, so a thumbnail is uploaded once and then reused: Telegram's
 * `file_id` of a sent photo, a Discord attachment's CDN URL (until its signature expires). Keyed by platform and
 * a key of the thumbnail's content (`thumbKey` in the adapters: the file's hash, or the URL's), held in memory
 * (bounded, least recently used dropped) and in the store (`NS_MEDIA`): a sender returns the writes with the
 * message they came from, and they are stored with the list's refs — no round trip of their own. Each process
 * loads the platform's refs once at start. A platform that refuses a stale reference is answered with an upload
 * (`forget` + the new ref).
 *
 * @example
 * const id = media.get('telegram', key); // 'AgACAgIAAx…' or undefined
 * const write = media.remember('telegram', key, { id: photo.file_id });
 */
import type { Clock, KeyValueStore, StoreWrite } from '../ports.js';
import { systemClock } from '../ports.js';
import { storeCall } from '../store/call.js';
import { NS_MEDIA } from '../store/namespaces.js';

export interface MediaRef {
  /** The platform's reference: a Telegram file_id, a CDN URL. */
  id: string;
  /** Epoch ms after which the reference is no longer good (signed URLs); absent: until refused. */
  expiresAt?: number;
}

export class MediaRefs {
  private readonly mem = new Map<string, MediaRef>();
  private readonly cap: number;
  private readonly clock: Clock;

  constructor(o: { cap?: number; clock?: Clock } = {}) {
    this.cap = o.cap ?? 20_000;
    this.clock = o.clock ?? systemClock;
  }

  get size(): number {
    return this.mem.size;
  }

  get(platform: string, key: string): string | undefined {
    const k = `${platform}:${key}`;
    const ref = this.mem.get(k);
    if (!ref) return undefined;
    if (ref.expiresAt !== undefined && ref.expiresAt <= this.clock.now().getTime()) {
      this.mem.delete(k);
      return undefined;
    }
    // Least recently used last out: touch.
    this.mem.delete(k);
    this.mem.set(k, ref);
    return ref.id;
  }

  /** Remembers a reference; returns the store write to make with the message it came from. */
  remember(platform: string, key: string, ref: MediaRef): StoreWrite {
    const k = `${platform}:${key}`;
    this.mem.delete(k);
    this.mem.set(k, ref);
    while (this.mem.size > this.cap) this.mem.delete(this.mem.keys().next().value!);
    const ttlMs = ref.expiresAt !== undefined ? Math.max(1000, ref.expiresAt - this.clock.now().getTime()) : undefined;
    return { op: 'set', ns: NS_MEDIA, key: k, value: ref, ...(ttlMs !== undefined ? { ttlMs } : {}) };
  }

  /** Drops a reference the platform refused; returns the store write. */
  forget(platform: string, key: string): StoreWrite {
    const k = `${platform}:${key}`;
    this.mem.delete(k);
    return { op: 'delete', ns: NS_MEDIA, key: k };
  }

  /** Loads a platform's stored references (at start). Resolves with how many. */
  async load(store: KeyValueStore, platform: string): Promise<number> {
    const keys: string[] = [];
    for await (const k of store.keys(NS_MEDIA, `${platform}:`)) {
      keys.push(k);
      if (keys.length >= this.cap) break;
    }
    const now = this.clock.now().getTime();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const values = await storeCall(() => store.getMany<MediaRef>(NS_MEDIA, chunk));
      for (const [j, v] of values.entries()) {
        if (v && typeof v.id === 'string' && (v.expiresAt === undefined || v.expiresAt > now))
          this.mem.set(chunk[j]!, v);
      }
    }
    return this.mem.size;
  }
}
