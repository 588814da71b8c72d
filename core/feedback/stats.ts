/**
 * Bot-wide counts kept in this process: likes and dislikes per item (the popularity prior of the ranking)
 * and the number of users (for `/status`). Built from the store at start, then kept exact by every
 * feedback, link merge and `/forget`.
 */
import type { CatalogIndex } from '../catalog/catalog.js';
import type { FeedbackState, Signal } from '../domain.js';
import type { ItemStats } from '../recommend.js';
import type { UserDoc } from '../users/doc.js';

export class BotStats {
  private readonly items = new Map<string, { likes: number; dislikes: number }>();
  private userCount = 0;

  /** Rebuilds the counts from every user document. */
  async load(all: AsyncIterable<UserDoc>): Promise<void> {
    this.items.clear();
    this.userCount = 0;
    for await (const doc of all) {
      this.userCount++;
      for (const f of Object.values(doc.feedback)) this.bump(f.itemId, f.signal, 1);
    }
  }

  get users(): number {
    return this.userCount;
  }

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
