import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import { LINK_ALPHABET, LinkService, formatCode, normalizeCode } from '../../core/identity/link.js';
import { NS_USERS } from '../../core/store/namespaces.js';
import type { Actor } from '../../core/users/doc.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { TestClock, makeApp } from '../helpers/telegram-app.js';

const tg: Actor = { platform: 'telegram', externalId: '42', locale: 'ko' };
const con: Actor = { platform: 'console', externalId: 'alice' };

describe('LinkService', () => {
  let app: App;
  let clock: TestClock;
  let links: LinkService;

  beforeEach(async () => {
    clock = new TestClock(new Date('2026-03-10T00:00:00Z'));
    app = await makeApp({ store: new MemoryStore(), clock });
    links = new LinkService({ ...app.core, clock });
    app.core.forget.onForget(links.forgetHook);
  });
  afterEach(async () => app.close());

  it('makes short codes from an unambiguous alphabet and accepts sloppy input', async () => {
    const { code, display } = await links.createCode(tg);
    expect(code).toMatch(new RegExp(`^[${LINK_ALPHABET}]{8}$`));
    expect(display).toBe(formatCode(code));
    expect(normalizeCode(` ${display.toLowerCase()} `)).toBe(code);
    expect(normalizeCode('ABCD-EFG0')).toBeUndefined(); // 0 is not in the alphabet
    expect(normalizeCode('short')).toBeUndefined();
  });

  it('merges two identities into one user: feedback (latest wins), history, shown, persona, identities', async () => {
    const reco = app.reco;
    await reco.message(tg, 'I love football and baseball');
    await reco.message(con, 'I love ramen and jazz. I hate politics');
    const tgDoc = await reco.resolve(tg);
    const conDoc = await reco.resolve(con);
    clock.advance(1000);
    await reco.feedback(tg, 'it_001', 'like', 'command', 'k1');
    clock.advance(1000);
    await reco.feedback(con, 'it_001', 'dislike', 'command', 'k2'); // later: wins
    await reco.feedback(con, 'it_005', 'like', 'command', 'k3');
    await reco.recommend(con, { count: 3 }, { chatId: 'console' });

    expect(reco.itemStats('it_001')).toEqual({ likes: 1, dislikes: 1 });
    const usersBefore = (await reco.status()).users;

    const { code } = await links.createCode(tg);
    const res = await links.redeem(con, code);
    expect(res.status).toBe('linked');
    expect(res.userId).toBe(tgDoc.user.id);
    // The bot-wide counts follow the merge: one person, one (latest) signal per item.
    expect(reco.itemStats('it_001')).toEqual({ likes: 0, dislikes: 1 });
    expect(reco.itemStats('it_005')).toEqual({ likes: 1, dislikes: 0 });
    expect((await reco.status()).users).toBe(usersBefore - 1);

    // Both identities resolve to the survivor; the absorbed document is gone.
    expect(await reco.users.findUserId('console', 'alice')).toBe(tgDoc.user.id);
    expect(await reco.users.findUserId('telegram', '42')).toBe(tgDoc.user.id);
    expect(await app.store.get(NS_USERS, conDoc.user.id)).toBeUndefined();
    const doc = (await reco.users.get(tgDoc.user.id))!;
    expect(doc.user.identities.map((i) => i.platform).sort()).toEqual(['console', 'telegram']);
    expect(doc.feedback['it_001']!.signal).toBe('dislike');
    expect(doc.feedback['it_005']!.signal).toBe('like');
    expect(doc.history.map((h) => h.idempotencyKey)).toEqual(['k1', 'k2', 'k3']);
    expect(doc.history.every((h) => h.userId === tgDoc.user.id)).toBe(true);
    expect(Object.keys(doc.shown).length).toBeGreaterThanOrEqual(3);
    const terms = doc.persona.interests.map((i) => i.term);
    expect(terms).toEqual(expect.arrayContaining(['football', 'ramen', 'jazz']));
    expect(doc.persona.dislikes.map((d) => d.term)).toContain('politics');
    // Vectors averaged and re-normalised.
    const v = doc.persona.vector!;
    const expected = tgDoc.persona.vector!.map((x, i) => x + conDoc.persona.vector![i]!);
    const n = Math.hypot(...expected);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(v[0]).toBeCloseTo(expected[0]! / n, 5);
    expect(doc.persona.messageCount).toBe(2);
    // Recommendations now use the merged feedback: the disliked item is never recommended.
    const list = await reco.recommend(con, { count: 10 }, { chatId: 'console' });
    expect(list.items.map((i) => i.item.id)).not.toContain('it_001');
    expect(list.userId).toBe(tgDoc.user.id);
  });

  it('codes are single use, expire, and a second link of the same pair says so', async () => {
    const { code } = await links.createCode(tg);
    expect((await links.redeem(con, code)).status).toBe('linked');
    expect((await links.redeem({ platform: 'discord', externalId: 'd1' }, code)).status).toBe('invalid');

    const again = await links.createCode(tg);
    expect((await links.redeem(con, again.code)).status).toBe('already-linked');

    const late = await links.createCode(tg);
    clock.advance(10 * 60_000 + 1);
    expect((await links.redeem({ platform: 'discord', externalId: 'd2' }, late.code)).status).toBe('expired');
  });

  it('two concurrent redeems of one code link exactly once', async () => {
    const { code } = await links.createCode(tg);
    const results = await Promise.all([
      links.redeem(con, code),
      links.redeem({ platform: 'discord', externalId: 'd9' }, code),
    ]);
    expect(results.filter((r) => r.status === 'linked')).toHaveLength(1);
  });

  it('GIVEN an identity already linked to another account THEN redeeming asks to confirm, naming it, and merges only when confirmed', async () => {
    const reco = app.reco;
    await reco.message(con, 'I love jazz');
    await reco.message({ ...tg, displayName: 'mina' }, 'I love football');
    const linked = await links.redeem(con, (await links.createCode(tg)).code);
    expect(linked.status).toBe('linked');
    const third = { platform: 'discord' as const, externalId: 'd77', displayName: 'Mina#d' };
    await reco.message(third, 'I love ramen');
    const { code } = await links.createCode(third);

    // The Telegram identity belongs to a user who also holds the console account: not merged silently.
    const ask = await links.redeem(tg, code);
    expect(ask.status).toBe('confirm');
    expect(ask.alsoMerged).toEqual(['console alice']);
    expect(ask.message).toContain('console alice');
    expect(ask.message).toContain('/link');
    const thirdId = await reco.users.findUserId('discord', 'd77');
    expect(await reco.users.findUserId('telegram', '42')).not.toBe(thirdId);
    expect(await reco.users.findUserId('console', 'alice')).not.toBe(thirdId);

    // Confirmed: the code was kept for it, and all three are one person now.
    const done = await links.redeem(tg, code, { confirm: true });
    expect(done.status).toBe('linked');
    for (const [p, id] of [
      ['telegram', '42'],
      ['console', 'alice'],
      ['discord', 'd77'],
    ] as const)
      expect(await reco.users.findUserId(p, id)).toBe(thirdId);
  });

  it('a newer code replaces the older one, and /forget drops a pending code', async () => {
    const first = await links.createCode(tg);
    const second = await links.createCode(tg);
    expect((await links.redeem(con, first.code)).status).toBe('invalid');
    await app.reco.forget(tg);
    expect((await links.redeem(con, second.code)).status).toBe('invalid');
  });
});
