/**
 * The stored sources (`src:<id>` with their subscribers, a chat's list in `chat:<platform>:<chatId>`) and this
 * process's in-memory view of them: subscribers are added and removed under a store lock per source, a source
 * nobody follows is deleted and handed off the runtime. Used by `SourcesService` (service.ts).
 */
import type { StoreWrite } from '../ports.js';
import { storeCall } from '../store/call.js';
import { withStoreLock } from '../store/lock.js';
import { NS_SOURCES } from '../store/namespaces.js';
import type { ChatRef, SourceRecord } from './types.js';
import type { SourcesServiceOptions } from './service.js';

export const srcKey = (id: string) => `src:${id}`;
export const chatKey = (c: ChatRef) => `chat:${c.platform}:${c.chatId}`;
export const userSub = (userId: string) => `user:${userId}`;
export const chatSub = (c: ChatRef) => `chat:${c.platform}:${c.chatId}`;

export class SourceRegistry {
  /** Every stored source (kept in step by this process's changes and `sync`). */
  readonly records = new Map<string, SourceRecord>();
  /** `platform:chatId` → the chat's source ids (the ranker's boost for lists in that chat). */
  private readonly chats = new Map<string, string[]>();

  constructor(private readonly o: Pick<SourcesServiceOptions, 'store' | 'runtime'>) {}

  /** The sources a chat follows (for the ranker; in memory, no store round trip). */
  readonly chatSources = (platform: string, chatId: string): readonly string[] =>
    this.chats.get(`${platform}:${chatId}`) ?? [];

  /** Reloads every source from the store (start-up, and what other processes changed) and hands them to the runtime. */
  async sync(): Promise<number> {
    const keys: string[] = [];
    for await (const k of this.o.store.keys(NS_SOURCES)) if (k.startsWith('src:')) keys.push(k);
    const values = keys.length ? await storeCall(() => this.o.store.getMany<SourceRecord>(NS_SOURCES, keys)) : [];
    this.records.clear();
    this.chats.clear();
    for (const r of values) if (r && r.subscribers.length > 0) this.remember(r);
    this.o.runtime.sync([...this.records.values()]);
    return this.records.size;
  }

  private remember(r: SourceRecord): void {
    this.records.set(r.id, r);
    for (const [key, ids] of this.chats) {
      const i = ids.indexOf(r.id);
      if (i >= 0 && !r.subscribers.includes(`chat:${key}`)) ids.splice(i, 1);
    }
    for (const s of r.subscribers) {
      if (!s.startsWith('chat:')) continue;
      const key = s.slice('chat:'.length);
      const ids = this.chats.get(key) ?? [];
      if (!ids.includes(r.id)) ids.push(r.id);
      this.chats.set(key, ids);
    }
  }

  private forgetRecord(id: string): void {
    this.records.delete(id);
    for (const ids of this.chats.values()) {
      const i = ids.indexOf(id);
      if (i >= 0) ids.splice(i, 1);
    }
  }

  /** Adds a subscriber to a source (creating it), under the source's lock; starts fetching a new one. */
  async addSubscriber(
    id: string,
    subscriber: string,
    make: () => SourceRecord,
    firstFetchMs = 0,
  ): Promise<SourceRecord> {
    const record = await withStoreLock(this.o.store, `sources:${id}`, { ttlMs: 10_000 }, async () => {
      const stored = await storeCall(() => this.o.store.get<SourceRecord>(NS_SOURCES, srcKey(id)));
      const r = stored ?? make();
      if (!r.subscribers.includes(subscriber)) r.subscribers = [...r.subscribers, subscriber];
      await storeCall(() => this.o.store.set(NS_SOURCES, srcKey(id), r));
      return r;
    });
    const isNew = !this.records.has(id);
    this.remember(record);
    if (isNew) this.o.runtime.add(record, firstFetchMs);
    return record;
  }

  /** Removes a subscriber; a source nobody follows is deleted and no longer fetched. */
  async removeSubscriber(id: string, subscriber: string): Promise<SourceRecord | undefined> {
    const result = await withStoreLock(this.o.store, `sources:${id}`, { ttlMs: 10_000 }, async () => {
      const r = await storeCall(() => this.o.store.get<SourceRecord>(NS_SOURCES, srcKey(id)));
      if (!r) return undefined;
      r.subscribers = r.subscribers.filter((s) => s !== subscriber);
      if (r.subscribers.length === 0) await storeCall(() => this.o.store.delete(NS_SOURCES, srcKey(id)));
      else await storeCall(() => this.o.store.set(NS_SOURCES, srcKey(id), r));
      return r;
    });
    if (result && result.subscribers.length > 0) this.remember(result);
    else {
      this.forgetRecord(id);
      this.o.runtime.remove(id);
    }
    return result;
  }

  async chatList(chat: ChatRef): Promise<string[]> {
    return (await storeCall(() => this.o.store.get<string[]>(NS_SOURCES, chatKey(chat)))) ?? [];
  }

  async setChatList(chat: ChatRef, change: (ids: string[]) => string[]): Promise<string[]> {
    return withStoreLock(this.o.store, `sources:${chatKey(chat)}`, { ttlMs: 10_000 }, async () => {
      const next = [...new Set(change(await this.chatList(chat)))];
      const w: StoreWrite =
        next.length > 0
          ? { op: 'set', ns: NS_SOURCES, key: chatKey(chat), value: next }
          : { op: 'delete', ns: NS_SOURCES, key: chatKey(chat) };
      await storeCall(() => this.o.store.writeBatch([w]));
      return next;
    });
  }

  async load(ids: readonly string[]): Promise<Map<string, SourceRecord>> {
    const out = new Map<string, SourceRecord>();
    const missing = ids.filter((id) => !this.records.has(id));
    for (const id of ids) {
      const r = this.records.get(id);
      if (r) out.set(id, r);
    }
    if (missing.length) {
      const got = await storeCall(() => this.o.store.getMany<SourceRecord>(NS_SOURCES, missing.map(srcKey)));
      got.forEach((r, i) => r && out.set(missing[i]!, r));
    }
    return out;
  }
}
