/**
 * Onboarding on Discord (discord.js ↔ fake Discord): `/interests` answers with an ephemeral string select menu
 * (min 1, max 5 values) of the catalog's categories and topics plus Skip; choosing updates the picker to "Got it"
 * (UPDATE_MESSAGE) and sends the first list as follow-ups, seeded by the picks. A first DM from someone new gets
 * the same picker after the answer. Components are bound to their person.
 */
import { describe, expect, it } from 'vitest';
import { ONBOARDING_EXT, type OnboardingState } from '../../core/onboarding/state.js';
import type { FakeMessage, FakeUser } from '../helpers/fake-discord.js';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { runCommand } from './flows.js';
import { docOf, nextEvent, type Bot, withDiscordBot } from './harness.js';

type Component = {
  type: number;
  custom_id?: string;
  options?: { label: string; value: string }[];
  min_values?: number;
  max_values?: number;
};
const componentsOf = (m: { components?: unknown }): Component[] =>
  ((m.components ?? []) as { components: Component[] }[]).flatMap((row) => row.components);

describe('discord onboarding', () => {
  let fake!: FakeDiscord;
  let bot!: Bot;
  withDiscordBot((f, b) => {
    fake = f;
    bot = b;
  });
  const pickerMessage = (userId: string) =>
    [...fake.messages.values()].find((m) =>
      componentsOf(m).some((c) => c.custom_id === `ob:pick:${userId}`),
    ) as FakeMessage;
  const select = async (user: FakeUser, message: FakeMessage, customId: string, values: string[]) => {
    const from = fake.mark();
    const done = nextEvent<{ name: string; userId: string }>(
      bot.discord.events,
      'command',
      (c) => c.name === 'select:ob' && c.userId === user.id,
    );
    const i = fake.selectMenu({ user, message, customId, values });
    await done;
    return fake.requests.slice(from).filter((r) => r.path.includes(i.token));
  };

  it('GIVEN /interests THEN an ephemeral select menu (min 1, max 5) of the interests and a Skip button', async () => {
    const run = await runCommand(bot, { name: 'interests', user: fake.users.alice });
    const cb = run.requests.find((r) => r.path.endsWith('/callback'))!;
    expect(cb.body.type).toBe(4);
    expect(cb.body.data.flags & 64).toBe(64);
    const comps = componentsOf(cb.body.data);
    const menu = comps.find((c) => c.type === 3)!;
    expect(menu.custom_id).toBe(`ob:pick:${fake.users.alice.id}`);
    expect(menu.min_values).toBe(1);
    expect(menu.max_values).toBe(5);
    expect(menu.options!.map((o) => o.label)).toEqual(expect.arrayContaining(['sports', 'food', 'tech']));
    expect(comps.find((c) => c.type === 2)?.custom_id).toBe(`ob:skip:${fake.users.alice.id}`);
  });

  it('GIVEN picks THEN the picker says "Got it", the first list arrives as follow-ups, mapped and seeded by the picks', async () => {
    const message = pickerMessage(fake.users.alice.id);
    const menu = componentsOf(message).find((c) => c.type === 3)!;
    const value = (label: string) => menu.options!.find((o) => o.label === label)!.value;
    const reqs = await select(fake.users.alice, message, menu.custom_id!, [value('food'), value('tech')]);
    const cb = reqs.find((r) => r.path.endsWith('/callback'))!;
    expect(cb.body.type).toBe(7);
    expect(cb.body.data.content).toMatch(/Got it: (food, tech|tech, food)/);
    expect(cb.body.data.components).toEqual([]);
    const followups = reqs.filter((r) => r.method === 'POST' && r.path.startsWith('/webhooks/'));
    expect(followups.length).toBeGreaterThanOrEqual(3);
    const doc = (await docOf(bot.app, fake.users.alice.id))!;
    const state = doc.ext[ONBOARDING_EXT] as OnboardingState;
    expect([...(state.categories ?? [])].sort()).toEqual(['food', 'tech']);
    const listed = doc.lastLists[`discord:${fake.textChannel.id}`]!.itemIds;
    expect(listed).toHaveLength(followups.length);
    const cats = listed.map((id) => bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(id)!]!.category);
    expect(cats.filter((c) => c === 'food' || c === 'tech').length).toBeGreaterThanOrEqual(3);
  });

  it("GIVEN someone else's picker THEN refused, ephemeral, nothing recorded", async () => {
    await runCommand(bot, { name: 'interests', user: fake.users.bob });
    const message = pickerMessage(fake.users.bob.id);
    const menu = componentsOf(message).find((c) => c.type === 3)!;
    const reqs = await select(fake.users.carol, message, menu.custom_id!, [menu.options![0]!.value]);
    const cb = reqs.find((r) => r.path.endsWith('/callback'))!;
    expect(cb.body.data.flags & 64).toBe(64);
    expect(cb.body.data.content).toMatch(/someone else/);
    expect((await docOf(bot.app, fake.users.carol.id))?.ext[ONBOARDING_EXT]).toBeUndefined();
  });

  it('GIVEN a first DM from someone new THEN the answer, then the picker; a second DM gets no picker', async () => {
    const carol = fake.users.carol;
    const dm = fake.dmChannelOf(carol);
    const send = async (content: string) => {
      const from = fake.mark();
      const done = nextEvent<{ userId: string }>(bot.discord.events, 'message', (m) => m.userId === carol.id);
      fake.userMessage({ user: carol, channel: dm, content });
      await done;
      return fake.requests.slice(from).filter((r) => r.method === 'POST' && r.path === `/channels/${dm.id}/messages`);
    };
    const first = await send('hello there');
    expect(first).toHaveLength(2);
    expect(componentsOf(first[1]!.body).find((c) => c.type === 3)?.custom_id).toBe(`ob:pick:${carol.id}`);
    const second = await send('I like jazz');
    expect(second).toHaveLength(1);
  });
});
