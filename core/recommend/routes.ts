/**
 * Where a chat's scheduled lists (digests) go when not to the chat itself: a Telegram forum topic
 * (`/digest topic` in that topic), or a Discord channel — a forum channel gets one post per digest, tagged.
 * One small record per chat in the store (`NS_ROUTES`), read through a short cache (digests read it per
 * message; a change made on another process is seen within `cacheMs`).
 *
 * @example
 * await routes.set('telegram', '-1001', { digestThreadId: '42' });
 * (await routes.get('telegram', '-1001'))?.digestThreadId; // '42'
 */
import type { Clock, KeyValueStore } from '../ports.js';
import { systemClock } from '../ports.js';
import { storeCall } from '../store/call.js';
import { NS_ROUTES } from '../store/namespaces.js';

export interface ChatRoute {
  /** Telegram: the forum topic (`message_thread_id`) digests go to. */
  digestThreadId?: string;
  /** Discord: the channel digests go to (a text channel, a thread, or a forum: one post per digest). */
  digestChannelId?: string;
  /** Discord forum posts: tag names to apply (matched to the forum's tags by name). */
  digestTags?: string[];
  updatedAt: string;
}

/** How long the forum post of a digest is remembered (a digest resumed after a crash continues in it). */
const POST_TTL_MS = 3 * 24 * 3600_000;

export class ChatRoutes {
  private readonly cache = new Map<string, { at: number; route: ChatRoute | undefined }>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly o: { clock?: Clock; cacheMs?: number } = {},
  ) {}

  private now(): number {
    return (this.o.clock ?? systemClock).now().getTime();
  }

  async get(platform: string, chatId: string): Promise<ChatRoute | undefined> {
    const key = `${platform}:${chatId}`;
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < (this.o.cacheMs ?? 30_000)) return hit.route;
    const route = await storeCall(() => this.store.get<ChatRoute>(NS_ROUTES, key));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { at: this.now(), route });
    return route;
  }

  /** Sets (or, with `undefined` fields, clears) a chat's route; an empty route is deleted. */
  async set(
    platform: string,
    chatId: string,
    change: { [K in Exclude<keyof ChatRoute, 'updatedAt'>]?: ChatRoute[K] | undefined },
  ): Promise<ChatRoute | undefined> {
    const key = `${platform}:${chatId}`;
    const cur = await storeCall(() => this.store.get<ChatRoute>(NS_ROUTES, key));
    const merged: Record<string, unknown> = { ...cur, ...change, updatedAt: new Date(this.now()).toISOString() };
    for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
    const next = merged as unknown as ChatRoute;
    const empty = !next.digestThreadId && !next.digestChannelId;
    if (empty) await storeCall(() => this.store.delete(NS_ROUTES, key));
    else await storeCall(() => this.store.set(NS_ROUTES, key, next));
    this.cache.set(key, { at: this.now(), route: empty ? undefined : next });
    return empty ? undefined : next;
  }

  /** Remembers the forum post (thread) a list is posted in, so a resumed digest continues in it. */
  async rememberPost(listId: string, threadId: string): Promise<void> {
    await storeCall(() => this.store.set(NS_ROUTES, `post:${listId}`, threadId, POST_TTL_MS));
  }

  async postOf(listId: string): Promise<string | undefined> {
    return storeCall(() => this.store.get<string>(NS_ROUTES, `post:${listId}`));
  }
}
