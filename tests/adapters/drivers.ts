/**
 * One `AdapterDriver` per platform adapter, each driving the real adapter through its client library:
 * the console through its input/output streams, Discord through discord.js against the fake Discord,
 * Telegram through grammY against the fake Bot API. Drivers read the store only through the counting
 * store's inner store, so what the contract counts is the adapter's own round trips.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { createApp, type App } from '../../app/compose.js';
import { runConsole } from '../../bots/console/index.js';
import { defaultConfig } from '../../core/config.js';
import type { MessageRef } from '../../core/domain.js';
import { silentLogger, type KeyValueStore } from '../../core/ports.js';
import type { CountingStore } from '../../core/store/counting.js';
import { NS_IDENTITIES, NS_MESSAGES, NS_USERS } from '../../core/store/namespaces.js';
import { messageKey, type UserDoc } from '../../core/users/doc.js';
import { NOW, smallCatalog, startBot as startDiscordBot, nextEvent, type Bot } from '../discord/harness.js';
import { moreButtonOf, react as discordReact, runCommand } from '../discord/flows.js';
import { actionCustomId, moreCustomId } from '../../bots/discord/embeds.js';
import { itemRef } from '../../bots/telegram/shared.js';
import { parseList } from '../helpers/console-session.js';
import { FakeDiscord, type FakeMessage } from '../helpers/fake-discord.js';
import {
  privateChat,
  startFakeTelegram,
  user,
  type FakeTelegram,
  type RecordedCall,
} from '../helpers/fake-telegram.js';
import { topicCatalog } from '../helpers/items.js';
import { TestClock, writeThumb } from '../helpers/telegram-app.js';
import {
  buttonsOf,
  msgId,
  sends,
  startBot as startTelegramBot,
  textOf,
  type RunningBot,
} from '../helpers/telegram-harness.js';
import type { AdapterDriver, ShownItem } from './contract.js';

async function peekDoc(store: KeyValueStore, platform: string, externalId: string): Promise<UserDoc | undefined> {
  const id = await store.get<string>(NS_IDENTITIES, `${platform}:${externalId}`);
  return id ? store.get<UserDoc>(NS_USERS, id) : undefined;
}

/** The one item a list message carries (the card layout, which a first list after the picker uses). */
async function itemOf(store: KeyValueStore, platform: string, chatId: string, messageId: string): Promise<string> {
  const ref = await store.get<MessageRef>(NS_MESSAGES, messageKey(platform as 'console', chatId, messageId));
  if (!ref || ref.itemIds.length !== 1) throw new Error(`message ${messageId} is not mapped to one item`);
  return ref.itemIds[0]!;
}

// ---------------------------------------------------------------- console

/** One person at the console: the real `runConsole` on its own streams, a line at a time. */
function consoleChat(app: App, user: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  const handled = new EventEmitter();
  let out = '';
  let lines = 0;
  output.setEncoding('utf8');
  output.on('data', (d: string) => (out += d));
  const done = runConsole(app, { input, output, user, onLineHandled: (n) => handled.emit('line', n) });
  return {
    async line(text: string): Promise<string> {
      const from = out.length;
      const n = ++lines;
      const wait = nextEvent<number>(handled, 'line', (x) => x === n);
      input.write(`${text}\n`);
      await wait;
      return out.slice(from);
    },
    async end(): Promise<void> {
      input.end();
      await done;
    },
  };
}

export function consoleDriver(): AdapterDriver {
  let app: App;
  let inner: KeyValueStore;
  let chat: ReturnType<typeof consoleChat>;
  let newcomer: ReturnType<typeof consoleChat> | undefined;
  let picker: { n: number; label: string }[] = [];
  const externalId = 'alice';
  const newcomerId = 'nina';
  const line = (text: string) => chat.line(text);
  /** The list a command printed: the chat's last list when the command made a new one (cards or compact). */
  const listed = async (run: Promise<string>, who = externalId): Promise<ShownItem[]> => {
    const before = (await peekDoc(inner, 'console', who))?.lastLists['console:console']?.impressionId;
    const text = await run;
    const last = (await peekDoc(inner, 'console', who))?.lastLists['console:console'];
    if (!last || last.impressionId === before) return [];
    const cards = parseList(text).filter((c) => /^https?:\/\//.test(c.url)); // compact lines are not cards
    if (cards.length) return cards.map((s) => ({ itemId: last.itemIds[s.position - 1]!, position: s.position }));
    return last.itemIds.map((itemId, i) => {
      if (!text.includes(`\n${i + 1}. `)) throw new Error(`item ${i + 1} is not in the output:\n${text}`);
      return { itemId, position: i + 1 };
    });
  };
  return {
    platform: 'console',
    chatId: 'console',
    externalId,
    newcomerId,
    async start(store: CountingStore) {
      inner = store.inner;
      app = await createApp({
        config: defaultConfig({ LOG_LEVEL: 'silent' }),
        logger: silentLogger,
        store,
        seedItems: topicCatalog(NOW),
        now: () => NOW,
      });
      chat = consoleChat(app, externalId);
      return app;
    },
    say: (text) => line(text),
    recommend: (count) => listed(line(`/recommend ${count}`)),
    recommendTopic: (topic, count) => listed(line(`/recommend ${topic} ${count}`)),
    control: (name, arg) => line(`/${name}${arg ? ` ${arg}` : ''}`),
    why: (item) => line(`/why ${item.position}`),
    react: async (item, kind, remove) => {
      await line(`${remove ? '-' : ''}${kind === 'like' ? '👍' : '👎'} ${item.position}`);
    },
    more: (item) => listed(line(`/more ${item.position}`)),
    command: (name, args) => line(`/${name}${args ? ` ${args}` : ''}`).then((t) => t.trim()),
    subscribe: (url) => line(`/subscribe ${url}`),
    forget: () => line('/forget yes'),
    async firstContact() {
      newcomer = consoleChat(app, newcomerId);
      const out = await newcomer.line('/start');
      picker = [...out.matchAll(/^\s*(\d+)\. (.+)$/gm)].map((m) => ({ n: Number(m[1]), label: m[2]!.trim() }));
      return picker.map((p) => p.label);
    },
    async pick(labels) {
      const numbers = labels.map((l) => picker.find((p) => p.label === l)!.n);
      return listed(newcomer!.line(numbers.join(' ')), newcomerId);
    },
    async stop() {
      await chat?.end();
      await newcomer?.end();
      await app?.close();
    },
  };
}

// ---------------------------------------------------------------- Discord

type Menu = { custom_id: string; options: { label: string; value: string }[] };
const menuOf = (m: FakeMessage): Menu =>
  (m.components as { components: (Menu & { type: number })[] }[])
    .flatMap((row) => row.components)
    .find((c) => c.type === 3)!;

export function discordDriver(): AdapterDriver {
  let fake: FakeDiscord;
  let bot: Bot;
  let inner: KeyValueStore;
  let picker: FakeMessage | undefined;
  const who = () => fake.users.alice;
  /**
   * The item messages a list produced, in order: the bot messages new since `known` that carry item buttons
   * (cards: one item each; compact: several), mapped to their items through the store.
   */
  const listed = async (known: ReadonlySet<string>, channelId: string): Promise<ShownItem[]> => {
    const out: ShownItem[] = [];
    for (const m of fake.messages.values()) {
      if (known.has(m.id) || m.channel_id !== channelId || !customIdsOf(m).some((c) => c.startsWith('more:'))) continue;
      const ref = await inner.get<MessageRef>(NS_MESSAGES, messageKey('discord', channelId, m.id));
      for (const itemId of ref?.itemIds ?? []) out.push({ itemId, messageId: m.id, position: out.length + 1 });
    }
    return out;
  };
  const known = () => new Set(fake.messages.keys());
  const recommendWith = async (options: { name: string; type: number; value: string | number }[]) => {
    const before = known();
    await runCommand(bot, { name: 'recommend', user: who(), channel: fake.textChannel, options });
    return listed(before, fake.textChannel.id);
  };
  const press = async (item: ShownItem, customId: string, prefix: string) => {
    const message = fake.messages.get(item.messageId!) as FakeMessage;
    const from = fake.mark();
    const done = nextEvent<{ name: string; userId: string }>(
      bot.discord.events,
      'command',
      (c) => c.name === `button:${prefix}` && c.userId === who().id,
    );
    const i = fake.buttonPress({ user: who(), message, customId });
    await done;
    return { message, from, token: i.token };
  };
  const callbackText = (run: { requests: { path: string; body: { data?: { content?: string } } }[] }) =>
    String(run.requests.find((r) => r.path.endsWith('/callback'))?.body.data?.content ?? '');
  /** What a deferred interaction answered: the edit of the original and the follow-ups. */
  const deferredText = (run: { requests: { method: string; path: string; body: { content?: string } }[] }) =>
    run.requests
      .filter((r) => r.path.startsWith('/webhooks/') && (r.method === 'PATCH' || r.method === 'POST'))
      .map((r) => String(r.body?.content ?? ''))
      .join('\n');
  return {
    platform: 'discord',
    get chatId() {
      return fake.textChannel.id;
    },
    get externalId() {
      return who().id;
    },
    async start(store: CountingStore) {
      inner = store.inner;
      fake = await FakeDiscord.start();
      const config = defaultConfig({
        LOG_LEVEL: 'silent',
        DISCORD_TOKEN: fake.token,
        DISCORD_API_BASE: fake.apiBase,
        DISCORD_APPLICATION_ID: fake.appId,
        DISCORD_GUILD_ID: fake.guildId,
      });
      const app = await createApp({ config, logger: silentLogger, store, seedItems: smallCatalog(), now: () => NOW });
      bot = await startDiscordBot(fake, { app });
      return app;
    },
    async say(text) {
      const dm = fake.dmChannelOf(who());
      const from = fake.mark();
      const done = nextEvent<{ userId: string }>(bot.discord.events, 'message', (m) => m.userId === who().id);
      fake.userMessage({ user: who(), channel: dm, content: text });
      await done;
      const reply = fake.requests
        .slice(from)
        .find((r) => r.method === 'POST' && r.path === `/channels/${dm.id}/messages`);
      return String(reply?.body.content ?? '');
    },
    recommend: (count) => recommendWith([{ name: 'count', type: 4, value: count }]),
    recommendTopic: (topic, count) =>
      recommendWith([
        { name: 'topic', type: 3, value: topic },
        { name: 'count', type: 4, value: count },
      ]),
    async control(name, arg) {
      const option = name === 'layout' ? 'layout' : 'filter';
      const options = arg ? [{ name: option, type: 3, value: arg }] : [];
      return callbackText(await runCommand(bot, { name, user: who(), channel: fake.textChannel, options }));
    },
    async why(item) {
      const { from, token } = await press(item, actionCustomId('w', item.itemId), 'act');
      const edit = fake.requests
        .slice(from)
        .filter((r) => r.method === 'PATCH' && r.path.includes(token) && r.path.endsWith('/messages/@original'))
        .at(-1);
      return String((edit?.body as { content?: string } | undefined)?.content ?? '');
    },
    async react(item, kind, remove) {
      await discordReact(bot, {
        user: who(),
        channelId: fake.textChannel.id,
        messageId: item.messageId!,
        emoji: kind === 'like' ? '👍' : '👎',
        ...(remove ? { remove: true } : {}),
      });
    },
    async more(item) {
      const before = known();
      const customId = moreCustomId(item.itemId);
      // The button on the message must be the one the bot made for this item.
      if (!customIdsOf(fake.messages.get(item.messageId!)!).includes(customId))
        throw new Error(
          `no "More like this" button for ${item.itemId} (first: ${moreButtonOf(bot, item.messageId!).customId})`,
        );
      const { message } = await press(item, customId, 'more');
      return listed(before, message.channel_id);
    },
    async command(name, args) {
      // Discord takes arguments as options: `/quiet hours:<range> timezone:<zone>`.
      const words = (args ?? '').split(/\s+/).filter(Boolean);
      const zone = words.find((w) => w.includes('/'));
      const hours = words.filter((w) => w !== zone).join(' ');
      const options = [
        ...(hours ? [{ name: 'hours', type: 3, value: hours }] : []),
        ...(zone ? [{ name: 'timezone', type: 3, value: zone }] : []),
      ];
      const run = await runCommand(bot, { name, user: who(), options });
      return callbackText(run) || deferredText(run);
    },
    async subscribe(url) {
      return deferredText(
        await runCommand(bot, { name: 'subscribe', user: who(), options: [{ name: 'url', type: 3, value: url }] }),
      );
    },
    get newcomerId() {
      return fake.users.bob.id;
    },
    async firstContact() {
      // A first DM from someone new: the answer, then the picker (a string select menu) in the DM.
      const bob = fake.users.bob;
      const dm = fake.dmChannelOf(bob);
      const done = nextEvent<{ userId: string }>(bot.discord.events, 'message', (m) => m.userId === bob.id);
      fake.userMessage({ user: bob, channel: dm, content: 'hi' });
      await done;
      picker = [...fake.messages.values()].find((m) =>
        (m.components as { components?: { custom_id?: string }[] }[]).some((row) =>
          row.components?.some((c) => c.custom_id === `ob:pick:${bob.id}`),
        ),
      ) as FakeMessage;
      return menuOf(picker).options.map((o) => o.label);
    },
    async pick(labels) {
      const bob = fake.users.bob;
      const menu = menuOf(picker!);
      const values = labels.map((l) => menu.options.find((o) => o.label === l)!.value);
      const done = nextEvent<{ name: string; userId: string }>(
        bot.discord.events,
        'command',
        (c) => c.name === 'select:ob' && c.userId === bob.id,
      );
      fake.selectMenu({ user: bob, message: picker!, customId: menu.custom_id, values });
      await done;
      const doc = await peekDoc(inner, 'discord', bob.id);
      const ids = doc?.lastLists[`discord:${picker!.channel_id}`]?.itemIds ?? [];
      const out: ShownItem[] = ids.map((itemId, i) => ({ itemId, position: i + 1 }));
      return out;
    },
    async forget() {
      const ask = await runCommand(bot, { name: 'forget', user: who() });
      const cb = ask.requests.find((r) => r.path.endsWith('/callback'))!;
      const yes = cb.body.data.components[0].components[0].custom_id as string;
      const message = [...fake.messages.values()].find(
        (m) => (m.components as { components?: { custom_id?: string }[] }[])[0]?.components?.[0]?.custom_id === yes,
      ) as FakeMessage;
      const from = fake.mark();
      const done = nextEvent<{ name: string; userId: string }>(
        bot.discord.events,
        'command',
        (c) => c.name === 'button:forget' && c.userId === who().id,
      );
      fake.buttonPress({ user: who(), message, customId: yes });
      await done;
      return String(fake.requests.slice(from).find((r) => r.path.endsWith('/callback'))?.body.data?.content ?? '');
    },
    async stop() {
      await bot?.stop();
      await bot?.app.close();
      await fake?.close();
    },
  };
}

// ---------------------------------------------------------------- Telegram

export function telegramDriver(): AdapterDriver {
  let fake: FakeTelegram;
  let bot: RunningBot;
  let inner: KeyValueStore;
  const alice = user(4242, 'Alice');
  const chat = privateChat(alice);
  const nina = user(4343, 'Nina');
  const ninaChat = privateChat(nina);
  let picker: RecordedCall | undefined;
  const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));
  const say = async (text: string): Promise<RecordedCall[]> => {
    const before = fake.calls.length;
    const id = fake.pushMessage({ from: alice, chat, text });
    await bot.handled(id);
    return fake.calls.slice(before);
  };
  const callback = async (messageId: number, data: string): Promise<RecordedCall[]> => {
    const before = fake.calls.length;
    const cb = fake.pushCallback({ from: alice, message: { message_id: messageId, chat }, data });
    await bot.handled(cb.updateId);
    return fake.calls.slice(before);
  };
  /** Item messages are the sends that carry buttons (one item each, or several in the compact layout). */
  const listed = async (calls: RecordedCall[]): Promise<ShownItem[]> => {
    const items = sends(calls).filter((c) => buttonsOf(c.payload).length > 0);
    const out: ShownItem[] = [];
    for (const c of items) {
      const messageId = String(msgId(c));
      const ref = await inner.get<MessageRef>(NS_MESSAGES, messageKey('telegram', String(chat.id), messageId));
      for (const itemId of ref?.itemIds ?? []) out.push({ itemId, messageId, position: out.length + 1 });
    }
    return out;
  };
  /** The button for this item on its message (a compact message has one row per item). */
  const buttonOf = (item: ShownItem, prefix: string): string => {
    const sent = fake.calls.find(
      (c) => c.ok && (c.result as { message_id?: number })?.message_id === Number(item.messageId),
    );
    const ref = itemRef(item.itemId);
    const b = buttonsOf(sent!.payload).find(
      (x) => x.callback_data.startsWith(prefix) && x.callback_data.includes(`:${ref}:`),
    );
    if (!b) throw new Error(`no ${prefix} button on message ${item.messageId}`);
    return b.callback_data;
  };
  return {
    platform: 'telegram',
    chatId: String(chat.id),
    externalId: String(alice.id),
    async start(store: CountingStore) {
      inner = store.inner;
      writeThumb();
      fake = await startFakeTelegram();
      bot = await startTelegramBot(fake, store, clock);
      return bot.app;
    },
    say: async (text) =>
      sends(await say(text))
        .map((c) => textOf(c.payload))
        .join('\n'),
    recommend: async (count) => listed(await say(`/recommend ${count}`)),
    recommendTopic: async (topic, count) => listed(await say(`/recommend ${topic} ${count}`)),
    control: async (name, arg) =>
      sends(await say(`/${name}${arg ? ` ${arg}` : ''}`))
        .map((c) => textOf(c.payload))
        .join('\n'),
    why: async (item) =>
      sends(await callback(Number(item.messageId), buttonOf(item, 'ia:w:')))
        .map((c) => textOf(c.payload))
        .join('\n'),
    async react(item, kind, remove) {
      // 👍 through the button (a second press undoes it), 👎 through a message reaction.
      if (kind === 'like') {
        await callback(Number(item.messageId), buttonOf(item, 'fb:l:'));
        return;
      }
      const id = fake.pushReaction({
        user: alice,
        chat,
        messageId: Number(item.messageId),
        old: remove ? ['👎'] : [],
        new: remove ? [] : ['👎'],
      });
      await bot.handled(id);
    },
    more: async (item) => listed(await callback(Number(item.messageId), buttonOf(item, 'mr:'))),
    command: async (name, args) =>
      sends(await say(`/${name}${args ? ` ${args}` : ''}`))
        .map((c) => textOf(c.payload))
        .join('\n'),
    newcomerId: String(nina.id),
    async firstContact() {
      const before = fake.calls.length;
      await bot.handled(fake.pushMessage({ from: nina, chat: ninaChat, text: '/start' }));
      picker = sends(fake.calls.slice(before))[0]!;
      return buttonsOf(picker.payload).map((b) => b.text.replace(/^✅ /, ''));
    },
    async pick(labels) {
      const press = async (data: string) => {
        const before = fake.calls.length;
        const cb = fake.pushCallback({ from: nina, message: { message_id: msgId(picker!), chat: ninaChat }, data });
        await bot.handled(cb.updateId);
        return fake.calls.slice(before);
      };
      const data = (label: string) => buttonsOf(picker!.payload).find((b) => b.text.endsWith(label))!.callback_data;
      for (const l of labels) await press(data(l));
      const calls = await press(data('Done'));
      const items = sends(calls).filter((c) => buttonsOf(c.payload).some((b) => b.callback_data.startsWith('fb:')));
      const out: ShownItem[] = [];
      for (const [i, c] of items.entries()) {
        const messageId = String(msgId(c));
        out.push({
          itemId: await itemOf(inner, 'telegram', String(ninaChat.id), messageId),
          messageId,
          position: i + 1,
        });
      }
      return out;
    },
    subscribe: async (url) =>
      sends(await say(`/subscribe ${url}`))
        .map((c) => textOf(c.payload))
        .join('\n'),
    async forget() {
      const ask = sends(await say('/forget'))[0]!;
      const [yes] = buttonsOf(ask.payload);
      const calls = await callback(msgId(ask), yes!.callback_data);
      const edit = calls.filter((c) => c.method === 'editMessageText').at(-1);
      return edit ? textOf(edit.payload) : '';
    },
    async stop() {
      await bot?.stop();
      await bot?.app.close();
      await fake?.close();
    },
  };
}

/** Every component custom id on a (fake) Discord message. */
function customIdsOf(m: FakeMessage): string[] {
  const rows = (m.components ?? []) as { components?: { custom_id?: string }[] }[];
  return rows.flatMap((r) => (r.components ?? []).map((c) => String(c.custom_id ?? '')));
}
