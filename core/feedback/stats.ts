/**
 * Bot-wide counts: likes and dislikes per item (the popularity prior of the ranking) and the number of users
 * (for `/status`).
 *
 * With a store they are shared counters (`NS_STATS`), so replicas agree and a restart keeps them: every change
 * is an atomic increment (`StoreWrite` `incr`) written IN THE SAME BATCH as the change that causes it — a
 * reaction's user document, a new user's creation, `/forget`'s deletes, `/link`'s merge — so a count moves
 * exactly when that change is stored, once (the idempotency key and the compare-and-set of the user document
 * make the batch happen once), at no extra round trip. Each process reads them into memory at start and
 * every `refreshMs` (the ranking never waits on the store for them) and applies its own changes at once;
 * another replica's changes show within `refreshMs`.
 *
 * Without a store (unit tests) the counts live in this process only, built from the user documents.
 */
import type { CatalogIndex } from '../catalog/catalog.js';
import type { FeedbackState, Signal } from '../domain.js';
import type { KeyValueStore, Logger, StoreWrite } from '../ports.js';
import { silentLogger } from '../ports.js';
import type { ItemStats } from '../recommend.js';
import { fencedWrite, withStoreLock } from '../store/lock.js';
import { NS_STATS } from '../store/namespaces.js';
import type { UserDoc } from '../users/doc.js';

/** The user counter's key in NS_STATS (item ids never start with `~`). */
export const USERS_COUNTER = '~users';
/** Set once the counters were built from the user documents (the first start of a store without them). */
const BUILT_MARKER = '~built';
const CHUNK = 512;

/** One item's counter in NS_STATS. */
export interface ItemCounts {
  likes?: number;
  dislikes?: number;
}

export interface BotStatsOptions {
  /** Where the shared counters live; without one, counts are this process's only. */
  store?: KeyValueStore;
  /** How often to re-read the shared counters (0 = only at `load`). Default 30 s. */
  refreshMs?: number;
  logger?: Logger;
}

const field = (signal: Signal): 'likes' | 'dislikes' => (signal === 'like' ? 'likes' : 'dislikes');

export class BotStats {
  private items = new Map<string, { likes: number; dislikes: number }>();
  private userCount = 0;
  private readonly store: KeyValueStore | undefined;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private lastIndex: CatalogIndex | undefined;

  constructor(private readonly o: BotStatsOptions = {}) {
    this.store = o.store;
    this.log = (o.logger ?? silentLogger).child({ module: 'stats' });
  }

  /**
   * Reads the counts: the shared counters (built once from every user document when the store has none yet),
   * or, without a store, from the documents themselves. Starts the periodic refresh.
   */
  async load(all: AsyncIterable<UserDoc>): Promise<void> {
    if (!this.store) {
      const { items, users } = await countDocs(all);
      this.items = items;
      this.userCount = users;
      return;
    }
    const store = this.store;
    if ((await store.get(NS_STATS, BUILT_MARKER)) === undefined) {
      await withStoreLock(store, 'stats-build', { ttlMs: 120_000, maxWaitMs: 240_000 }, async (lease) => {
        if ((await store.get(NS_STATS, BUILT_MARKER)) !== undefined) return;
        const { items, users } = await countDocs(all);
        const writes: StoreWrite[] = [...items].map(([id, c]) => ({ op: 'set', ns: NS_STATS, key: id, value: c }));
        writes.push({ op: 'set', ns: NS_STATS, key: USERS_COUNTER, value: { n: users } });
        for (let i = 0; i < writes.length; i += CHUNK) await fencedWrite(store, lease, writes.slice(i, i + CHUNK));
        await fencedWrite(store, lease, [
          { op: 'set', ns: NS_STATS, key: BUILT_MARKER, value: { at: new Date().toISOString(), users } },
        ]);
        this.log.info({ items: items.size, users }, 'shared counters built from the user documents');
      });
    }
    const ids: string[] = [];
    for await (const k of store.keys(NS_STATS)) if (!k.startsWith('~')) ids.push(k);
    await this.refresh(ids);
    const every = this.o.refreshMs ?? 30_000;
    if (every > 0 && this.timer === undefined) {
      this.timer = setInterval(() => {
        this.refresh().catch((e: unknown) =>
          this.log.debug(
            { err: (e as Error)?.message ?? String(e) },
            'counter refresh failed; keeping the last counts',
          ),
        );
      }, every);
      this.timer.unref();
    }
  }

  /**
   * Re-reads the shared counters of `ids` (default: the items of the last catalog ranked, and those counted
   * so far) and the user count. A no-op without a store.
   */
  async refresh(ids?: readonly string[]): Promise<void> {
    if (!this.store) return;
    const wanted = [
      ...new Set([...(ids ?? []), ...(this.lastIndex?.items.map((i) => i.id) ?? []), ...this.items.keys()]),
    ];
    const next = new Map<string, { likes: number; dislikes: number }>();
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const chunk = wanted.slice(i, i + CHUNK);
      const got = await this.store.getMany<ItemCounts>(NS_STATS, chunk);
      got.forEach((c, j) => {
        if (c && typeof c === 'object')
          next.set(chunk[j]!, {
            likes: Math.max(0, Number(c.likes ?? 0)),
            dislikes: Math.max(0, Number(c.dislikes ?? 0)),
          });
      });
    }
    const users = await this.store.get<{ n?: number }>(NS_STATS, USERS_COUNTER);
    this.items = next;
    this.userCount = Math.max(0, Number(users?.n ?? 0));
  }

  /** Stops the periodic refresh. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  get users(): number {
    return this.userCount;
  }

  // ------------------------------------------------------------ writes that go with a change (same batch)

  /** The counter writes of one feedback change (previous signal out, new one in). */
  changeWrites(itemId: string, previous: FeedbackState | undefined, now: FeedbackState | undefined): StoreWrite[] {
    if (!this.store) return [];
    const deltas = new Map<'likes' | 'dislikes', number>();
    if (previous) deltas.set(field(previous.signal), (deltas.get(field(previous.signal)) ?? 0) - 1);
    if (now) deltas.set(field(now.signal), (deltas.get(field(now.signal)) ?? 0) + 1);
    return [...deltas]
      .filter(([, by]) => by !== 0)
      .map(([f, by]) => ({ op: 'incr', ns: NS_STATS, key: itemId, field: f, by }));
  }

  /** The counter write of a new user (in the creating commit). */
  userCreatedWrites(): StoreWrite[] {
    return this.store ? [{ op: 'incr', ns: NS_STATS, key: USERS_COUNTER, field: 'n', by: 1 }] : [];
  }

  /** The counter writes of deleting users (`/forget`): their signals leave the counts. */
  removalWrites(docs: readonly UserDoc[]): StoreWrite[] {
    if (!this.store || docs.length === 0) return [];
    const out = this.deltaWrites(
      docs.flatMap((d) => Object.values(d.feedback)),
      [],
    );
    out.push({ op: 'incr', ns: NS_STATS, key: USERS_COUNTER, field: 'n', by: -docs.length });
    return out;
  }

  /** The counter writes of a `/link` merge: `before` are both users' states, `after` the merged user's. */
  mergeWrites(before: readonly FeedbackState[], after: readonly FeedbackState[]): StoreWrite[] {
    if (!this.store) return [];
    const out = this.deltaWrites(before, after);
    out.push({ op: 'incr', ns: NS_STATS, key: USERS_COUNTER, field: 'n', by: -1 });
    return out;
  }

  private deltaWrites(out: readonly FeedbackState[], into: readonly FeedbackState[]): StoreWrite[] {
    const deltas = new Map<string, number>();
    const add = (f: FeedbackState, by: number) => {
      const k = `${f.itemId}\u0000${field(f.signal)}`;
      deltas.set(k, (deltas.get(k) ?? 0) + by);
    };
    for (const f of out) add(f, -1);
    for (const f of into) add(f, 1);
    return [...deltas]
      .filter(([, by]) => by !== 0)
      .map(([k, by]) => {
        const [itemId, f] = k.split('\u0000') as [string, string];
        return { op: 'incr', ns: NS_STATS, key: itemId, field: f, by };
      });
  }

  // ------------------------------------------------------------ this process's view, updated after a change is stored

  userCreated(): void {
    this.userCount++;
  }

  /** A user's document is gone (`/forget`): their signals leave the counts. */
  userRemoved(doc: UserDoc | undefined): void {
    if (doc) for (const f of Object.values(doc.feedback)) this.bump(f.itemId, f.signal, -1);
    this.userCount = Math.max(0, this.userCount - 1);
  }

  /** One feedback change: the previous signal leaves, the new one enters. */
  changed(itemId: string, previous: FeedbackState | undefined, now: FeedbackState | undefined): void {
    if (previous) this.bump(itemId, previous.signal, -1);
    if (now) this.bump(itemId, now.signal, 1);
  }

  /**
   * Two users were merged (`/link`): `before` are both users' states, `after` the merged user's; one user fewer.
   */
  merged(before: readonly FeedbackState[], after: readonly FeedbackState[]): void {
    for (const f of before) this.bump(f.itemId, f.signal, -1);
    for (const f of after) this.bump(f.itemId, f.signal, 1);
    this.userCount = Math.max(0, this.userCount - 1);
  }

  itemStats(itemId: string): { likes: number; dislikes: number } {
    return { ...(this.items.get(itemId) ?? { likes: 0, dislikes: 0 }) };
  }

  /** The counts as rows of a catalog index (the ranking's popularity input). */
  forIndex(index: CatalogIndex): ItemStats {
    this.lastIndex = index;
    const likes = new Float32Array(index.items.length);
    const dislikes = new Float32Array(index.items.length);
    for (const [id, s] of this.items) {
      const r = index.rowOf.get(id);
      if (r === undefined) continue;
      likes[r] = s.likes;
      dislikes[r] = s.dislikes;
    }
    return { likes, dislikes };
  }

  private bump(itemId: string, signal: Signal, delta: number): void {
    const s = this.items.get(itemId) ?? { likes: 0, dislikes: 0 };
    if (signal === 'like') s.likes = Math.max(0, s.likes + delta);
    else s.dislikes = Math.max(0, s.dislikes + delta);
    this.items.set(itemId, s);
  }
}

async function countDocs(
  all: AsyncIterable<UserDoc>,
): Promise<{ items: Map<string, { likes: number; dislikes: number }>; users: number }> {
  const items = new Map<string, { likes: number; dislikes: number }>();
  let users = 0;
  for await (const doc of all) {
    users++;
    for (const f of Object.values(doc.feedback)) {
      const s = items.get(f.itemId) ?? { likes: 0, dislikes: 0 };
      if (f.signal === 'like') s.likes++;
      else s.dislikes++;
      items.set(f.itemId, s);
    }
  }
  return { items, users };
}
