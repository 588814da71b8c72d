import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import { explainTemplate } from '../../core/explain.js';
import type { Actor } from '../../core/users/doc.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { topicCatalog } from '../helpers/items.js';
import { testApp } from '../helpers/app.js';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const alice: Actor = { platform: 'discord', externalId: '1001', displayName: 'alice', locale: 'en-US' };
const bob: Actor = { platform: 'discord', externalId: '1002', displayName: 'bob', locale: 'ko' };

describe('DeepReco service', () => {
  it('GIVEN a conversation and reactions THEN the next list reflects them (disliked gone, similar items rise)', async () => {
    app = await testApp();
    await app.reco.message(alice, 'I love ramen and cooking at home');
    const first = await app.reco.recommend(alice, { count: 5 }, { chatId: 'c1' });
    expect(first.items).toHaveLength(5);
    expect(first.items.filter((i) => i.item.category === 'food').length).toBeGreaterThanOrEqual(2);
    const liked = first.items.find((i) => i.item.category === 'food')!.item;
    const disliked = first.items.find((i) => i.item.category !== liked.category)!.item;
    await app.reco.attachMessages(
      first.impressionId,
      { platform: 'discord', chatId: 'c1' },
      first.items.map((i) => ({ messageId: `m-${i.item.id}`, itemIds: [i.item.id] })),
    );
    expect(
      (
        await app.reco.reactToMessage(
          alice,
          { platform: 'discord', chatId: 'c1', messageId: `m-${liked.id}` },
          '👍',
          'add',
          { idempotencyKey: 'r1' },
        )
      ).status,
    ).toBe('applied');
    expect(
      (
        await app.reco.reactToMessage(
          alice,
          { platform: 'discord', chatId: 'c1', messageId: `m-${disliked.id}` },
          '💩',
          'add',
          { idempotencyKey: 'r2' },
        )
      ).status,
    ).toBe('applied');
    const second = await app.reco.recommend(alice, { count: 10 }, { chatId: 'c1' });
    const ids = second.items.map((i) => i.item.id);
    expect(ids).not.toContain(disliked.id);
    expect(ids).not.toContain(liked.id);
    expect(second.items.some((i) => i.evidence.likedSimilar[0]?.itemId === liked.id)).toBe(true);
  });

  it('GIVEN another user reacting to the same message THEN only their own profile changes', async () => {
    app = await testApp();
    const list = await app.reco.recommend(alice, { count: 3 }, { chatId: 'g' });
    const target = list.items[0]!.item;
    await app.reco.attachMessages(list.impressionId, { platform: 'discord', chatId: 'g' }, [
      { messageId: 'm1', itemIds: [target.id] },
    ]);
    const r = await app.reco.reactToMessage(bob, { platform: 'discord', chatId: 'g', messageId: 'm1' }, '👎', 'add', {
      idempotencyKey: 'x',
    });
    expect(r.status).toBe('applied');
    expect(r.lang).toBe('ko');
    const bobs = await app.reco.recommend(bob, { count: 30 }, { chatId: 'g' });
    const alices = await app.reco.recommend(alice, { count: 30 }, { chatId: 'g' });
    expect(bobs.items.map((i) => i.item.id)).not.toContain(target.id);
    expect((await app.reco.persona(alice)).text).toContain("I don't know much about you yet");
    expect(alices.items.length).toBeGreaterThan(0);
  });

  it('GIVEN unknown messages, unknown emojis and redelivered events THEN nothing is double counted', async () => {
    app = await testApp();
    expect(
      (
        await app.reco.reactToMessage(alice, { platform: 'discord', chatId: 'c', messageId: 'nope' }, '👍', 'add', {
          idempotencyKey: 'a',
        })
      ).status,
    ).toBe('unknown-message');
    const list = await app.reco.recommend(alice, { count: 2 }, { chatId: 'c' });
    await app.reco.attachMessages(list.impressionId, { platform: 'discord', chatId: 'c' }, [
      { messageId: 'm', itemIds: list.items.map((i) => i.item.id) },
    ]);
    const ref = { platform: 'discord' as const, chatId: 'c', messageId: 'm' };
    expect((await app.reco.reactToMessage(alice, ref, '👍', 'add', { idempotencyKey: 'a' })).status).toBe('not-shown'); // two items, none picked
    const one = { ...ref, itemId: list.items[0]!.item.id };
    expect(
      (await app.reco.reactToMessage(alice, { ...ref, itemId: 'forged' }, '👍', 'add', { idempotencyKey: 'f' })).status,
    ).toBe('not-shown');
    expect((await app.reco.reactToMessage(alice, one, '😀', 'add', { idempotencyKey: 'b' })).status).toBe(
      'unknown-emoji',
    );
    expect((await app.reco.reactToMessage(alice, one, '👍', 'add', { idempotencyKey: 'c' })).status).toBe('applied');
    expect((await app.reco.reactToMessage(alice, one, '👍', 'add', { idempotencyKey: 'c' })).status).toBe('duplicate');
    expect((await app.reco.persona(alice)).text).toContain('1 items with a like');
  });

  it('GIVEN explanations THEN they only name titles and terms from the evidence', async () => {
    app = await testApp();
    await app.reco.message(alice, 'I follow ramen, football and AI news');
    const first = await app.reco.recommend(alice, { count: 6 }, { chatId: 'c' });
    for (const [k, it] of first.items.slice(0, 3).entries())
      await app.reco.feedback(alice, it.item.id, k === 2 ? 'dislike' : 'like', 'command', `k${k}`);
    const titles = topicCatalog().map((i) => i.title);
    for (const lang of ['en', 'ko'] as const) {
      const res = await app.reco.recommend(alice, { count: 8, topic: 'ramen' }, { chatId: 'c' });
      for (const r of res.items) {
        const text = explainTemplate(r.evidence, lang);
        const quoted = [...text.matchAll(/'([^']+)'/g)].map((m) => m[1]!.replace(/…$/, ''));
        for (const q of quoted) {
          const allowed = [
            ...r.evidence.likedSimilar.map((l) => l.title),
            ...r.evidence.topicTerms.join(', ').split('\n'),
          ];
          expect(allowed.some((a) => a.startsWith(q))).toBe(true);
        }
        for (const other of titles)
          if (!r.evidence.likedSimilar.some((l) => l.title === other)) expect(text).not.toContain(other.slice(0, 30));
        for (const term of r.evidence.interests)
          expect(
            r.item.title.toLowerCase() + ' ' + r.item.summary.toLowerCase() + ' ' + (r.item.tags ?? []).join(' '),
          ).toContain(term);
      }
    }
  });

  it('GIVEN /forget THEN the store holds nothing of the user, and others are untouched', async () => {
    const store = new MemoryStore();
    app = await testApp({ store });
    await app.reco.message(alice, 'I love ramen');
    await app.reco.message(bob, '축구 좋아해');
    for (const who of [alice, bob]) {
      const list = await app.reco.recommend(who, { count: 3 }, { chatId: 'room' });
      await app.reco.attachMessages(
        list.impressionId,
        { platform: 'discord', chatId: 'room' },
        list.items.map((i) => ({ messageId: `${who.externalId}-${i.item.id}`, itemIds: [i.item.id] })),
      );
      await app.reco.feedback(who, list.items[0]!.item.id, 'like', 'command', `${who.externalId}-k`);
    }
    const aliceId = (await app.reco.resolve(alice)).user.id;
    const bobId = (await app.reco.resolve(bob)).user.id;
    await app.reco.forget(alice);
    const dump: string[] = [];
    for (const ns of ['users', 'identities', 'messages', 'impressions', 'meta', 'items']) {
      for await (const k of store.keys(ns)) dump.push(`${ns}/${k}=${JSON.stringify(await store.get(ns, k))}`);
    }
    const all = dump.join('\n');
    expect(all).not.toContain(aliceId);
    expect(all).not.toContain('discord:1001');
    expect(all).not.toContain('1001-');
    expect(all).toContain(bobId);
    expect((await app.reco.persona(bob)).text).toContain('축구');
    // A fresh start for alice.
    expect((await app.reco.persona(alice)).text).toContain("I don't know much about you yet");
  });

  it('GIVEN an explore level out of range THEN a clear input error', async () => {
    app = await testApp();
    await expect(app.reco.explore(alice, 7)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect((await app.reco.explore(alice, 3)).level).toBe(3);
    expect((await app.reco.explore(alice)).message).toContain('adventurous');
  });

  it('GIVEN an empty catalog THEN /recommend says so instead of failing', async () => {
    app = await testApp({ items: [] });
    const r = await app.reco.recommend(alice, {}, { chatId: 'c' });
    expect(r.items).toEqual([]);
    expect(r.empty).toMatch(/catalog is empty/);
  });

  it('GIVEN the store goes down THEN feedback fails with STORE_UNAVAILABLE and is not acknowledged', async () => {
    const store = new MemoryStore();
    app = await testApp({ store });
    const list = await app.reco.recommend(alice, { count: 1 }, { chatId: 'c' });
    // The store goes down for writes (single and batched).
    const realSet = store.set.bind(store);
    const realBatch = store.writeBatch.bind(store);
    const down = async (): Promise<never> => {
      throw new Error('connection refused');
    };
    store.set = down;
    store.writeBatch = down;
    await expect(app.reco.feedback(alice, list.items[0]!.item.id, 'like', 'command', 'z')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    store.set = realSet;
    store.writeBatch = realBatch;
    expect((await app.reco.persona(alice)).text).toContain("I don't know much about you yet");
    expect(
      app.reco.userMessage(new (await import('../../core/errors.js')).RecoError('STORE_UNAVAILABLE', 'x'), 'ko'),
    ).toContain('저장소');
  });

  it('GIVEN "more like this" THEN items similar to that one come back, without it', async () => {
    app = await testApp();
    const r = await app.reco.recommend(alice, { likeItemId: 'r1', count: 3 }, { chatId: 'c' });
    expect(r.header).toContain('More like');
    const ids = r.items.map((i) => i.item.id);
    expect(ids).not.toContain('r1');
    expect(ids.filter((id) => ['r2', 'r3', 'r4', 't3'].includes(id)).length).toBeGreaterThanOrEqual(2);
    const list = await app.reco.recommend(alice, { count: 2 }, { chatId: 'c' });
    expect(await app.reco.listItem(alice, 'c', 2)).toBe(list.items[1]!.item.id);
    expect(await app.reco.listItem(alice, 'c', 9)).toBeUndefined();
  });
});
