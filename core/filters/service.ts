/**
 * The controls people set by command: hard filters (`/mute`, `/unmute`, `/filters`, "mute this source"), the list
 * layout (`/layout`) and translation (`/translate`). A person's own settings are written in their user document
 * (one compare-and-set commit), a chat's in its `ChatSettings` record (compare-and-set on that record). Whether
 * the person may change a chat's settings (an admin) is the adapter's check: only it can ask the platform.
 *
 * Nothing here touches the persona, feedback or any learned weight: a filter hides, it does not teach.
 *
 * @example
 * await controls.mute(actor, 'source:youtube', { kind: 'user' });
 * await controls.mute(actor, '축구', { kind: 'chat', platform: 'telegram', chatId: '-100123' }); // admins only
 */
import type { CatalogService } from '../catalog/catalog.js';
import { CATEGORIES, type Evidence, type Lang, type MessageRef, type Platform } from '../domain.js';
import { RecoError } from '../errors.js';
import { categoryName, t, type MessageKey } from '../messages.js';
import type { Clock, KeyValueStore } from '../ports.js';
import { PendingMessages } from '../recommend/delivery.js';
import { storeCall } from '../store/call.js';
import { NS_MESSAGES } from '../store/namespaces.js';
import { messageKey, type Actor, type UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import { MAX_FILTERS, describeFilter, parseMute, sameFilter, type MuteFilter } from './filters.js';
import {
  asChatSettings,
  chatSettingsKey,
  displayPrefs,
  setDisplayPrefs,
  setUserFilters,
  userFilters,
  type ChatSettings,
  type Layout,
} from './settings.js';

/** Whose setting a command changes: the person's own, or (admins) the chat's. */
export type ControlScope = { kind: 'user' } | { kind: 'chat'; platform: Platform; chatId: string };

export interface ControlReply {
  lang: Lang;
  message: string;
}

export interface MuteReply extends ControlReply {
  status: 'added' | 'exists' | 'invalid' | 'full';
  filter?: MuteFilter;
}

export interface UnmuteReply extends ControlReply {
  status: 'removed' | 'missing' | 'invalid';
}

export interface ControlsServiceOptions {
  users: UserRepository;
  store: KeyValueStore;
  catalog: CatalogService;
  /** Messages this process sent whose mapping is not stored yet (see ListDelivery). */
  pending: PendingMessages;
  clock: Clock;
  /** Most filters per person and per chat. */
  maxFilters?: number;
  /** Whether an LLM is configured (translation needs one). */
  translationAvailable?: boolean;
}

/** How often a chat settings write re-reads and retries after losing a compare-and-set. */
const MAX_ATTEMPTS = 25;

export class ControlsService {
  private readonly max: number;

  constructor(private readonly o: ControlsServiceOptions) {
    this.max = Math.min(o.maxFilters ?? MAX_FILTERS, MAX_FILTERS);
  }

  /** Adds a filter: `raw` is what the person typed after /mute (see `parseMute`). */
  async mute(actor: Actor, raw: string, scope: ControlScope): Promise<MuteReply> {
    const sources = this.o.catalog.size > 0 ? this.o.catalog.index.sources : [];
    const parsed = parseMute(raw, sources);
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      const lang = session.doc.user.lang;
      if (!parsed.ok) return { status: 'invalid', lang, message: invalidMessage(lang, parsed.problem) };
      const filter: MuteFilter = { ...parsed.filter, at: this.o.clock.now().toISOString() };
      const name = describeFilter(filter, lang);
      const add = (list: MuteFilter[]): 'added' | 'exists' | 'full' => {
        if (list.some((f) => sameFilter(f, filter))) return 'exists';
        if (list.length >= this.max) return 'full';
        list.push(filter);
        return 'added';
      };
      let status: 'added' | 'exists' | 'full';
      if (scope.kind === 'chat') status = await this.updateChat(scope, (c) => add(c.filters));
      else
        status = await this.o.users.commit(session, (d) => {
          const list = userFilters(d);
          const r = add(list);
          setUserFilters(d, list);
          return r;
        });
      const key: MessageKey =
        status === 'added'
          ? scope.kind === 'chat'
            ? 'filters.addedChat'
            : 'filters.added'
          : status === 'exists'
            ? 'filters.exists'
            : 'filters.full';
      return { status, lang, message: t(lang, key, { filter: name, max: this.max }), filter };
    });
  }

  /** Removes a filter, named as it was added or by its number in `/filters`. */
  async unmute(actor: Actor, raw: string, scope: ControlScope): Promise<UnmuteReply> {
    const sources = this.o.catalog.size > 0 ? this.o.catalog.index.sources : [];
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      const lang = session.doc.user.lang;
      const text = raw.trim();
      const position = /^#?(\d{1,3})$/.exec(text);
      const parsed = position ? undefined : parseMute(text, sources);
      if (parsed && !parsed.ok) return { status: 'invalid', lang, message: invalidMessage(lang, parsed.problem) };
      const pick = (list: MuteFilter[]): MuteFilter | undefined =>
        position
          ? list[Number(position[1]) - 1]
          : (list.find((f) => sameFilter(f, (parsed as { filter: Omit<MuteFilter, 'at'> }).filter)) ??
            // Unmuting "youtube" also finds the source filter that `/mute source:youtube` made, and the reverse.
            list.find((f) => f.pattern === (parsed as { filter: Omit<MuteFilter, 'at'> }).filter.pattern));
      const remove = (list: MuteFilter[]): MuteFilter | undefined => {
        const found = pick(list);
        if (found) list.splice(list.indexOf(found), 1);
        return found;
      };
      let removed: MuteFilter | undefined;
      if (scope.kind === 'chat') removed = await this.updateChat(scope, (c) => remove(c.filters));
      else
        removed = await this.o.users.commit(session, (d) => {
          const list = userFilters(d);
          const r = remove(list);
          if (r) setUserFilters(d, list);
          return r;
        });
      if (!removed)
        return { status: 'missing', lang, message: t(lang, 'filters.missing', { filter: text.slice(0, 80) }) };
      return {
        status: 'removed',
        lang,
        message: t(lang, 'filters.removed', { filter: describeFilter(removed, lang) }),
      };
    });
  }

  /** The person's filters, and the chat's when `chat` is given, as a numbered list in their language. */
  async filters(
    actor: Actor,
    chat?: { platform: Platform; chatId: string },
  ): Promise<{ lang: Lang; user: MuteFilter[]; chat: MuteFilter[]; text: string }> {
    const session = await this.o.users.open(actor, chat ? [chatSettingsKey(chat)] : []);
    const lang = session.doc.user.lang;
    const mine = userFilters(session.doc);
    const theirs = asChatSettings(session.extra[0])?.filters ?? [];
    return { lang, user: mine, chat: theirs, text: formatFilters(lang, mine, theirs) };
  }

  /** A chat's settings (undefined when it has none). */
  async chatSettings(chat: { platform: Platform; chatId: string }): Promise<ChatSettings | undefined> {
    const k = chatSettingsKey(chat);
    return asChatSettings(await storeCall(() => this.o.store.get(k.ns, k.key)));
  }

  /**
   * "Mute this source" on an item message: the item must be one the message carries (`pick` chooses it, e.g. from
   * signed button data), then its source becomes a filter of the person who pressed.
   */
  async muteSourceOf(
    actor: Actor,
    message: { platform: Platform; chatId: string; messageId: string },
    pick: (itemIds: readonly string[]) => string | undefined,
  ): Promise<MuteReply | { status: 'not-shown'; lang: Lang; message: string }> {
    const found = await this.shownItem(actor, message, pick);
    if (!found.ok) return found.reply;
    const row = this.o.catalog.index.rowOf.get(found.itemId);
    const item = row === undefined ? undefined : this.o.catalog.index.items[row];
    if (!item) return { status: 'not-shown', lang: found.lang, message: t(found.lang, 'error.NOT_FOUND') };
    return this.mute(actor, `source:${item.source}`, { kind: 'user' });
  }

  /** "Mute this source" for item `position` of the last list shown in this chat (text commands: the console). */
  async muteSourceOfListItem(actor: Actor, chatId: string, position: number): Promise<MuteReply | ControlReply> {
    const session = await this.o.users.open(actor);
    const lang = session.doc.user.lang;
    const itemId = session.doc.lastLists[`${actor.platform}:${chatId}`]?.itemIds[position - 1];
    const row = itemId === undefined ? undefined : this.o.catalog.index.rowOf.get(itemId);
    const item = row === undefined ? undefined : this.o.catalog.index.items[row];
    if (!item) return { lang, message: t(lang, 'react.unknownItem', { n: position }) };
    return this.mute(actor, `source:${item.source}`, { kind: 'user' });
  }

  /**
   * The item a button press on a bot message is about, checked against the stored message → items mapping (or
   * the one pending in this process, or a list still being sent to the chat by another process), with its stored
   * evidence when the list kept it.
   */
  async shownItem(
    actor: Actor,
    message: { platform: Platform; chatId: string; messageId: string },
    pick: (itemIds: readonly string[]) => string | undefined,
  ): Promise<
    | { ok: true; lang: Lang; itemId: string; evidence?: Evidence; doc: UserDoc }
    | { ok: false; reply: { status: 'not-shown'; lang: Lang; message: string } }
  > {
    const key = messageKey(message.platform, message.chatId, message.messageId);
    const session = await this.o.users.open(actor, [
      { ns: NS_MESSAGES, key },
      // A list still being sent to this chat (by any process): read in the same round trip.
      PendingMessages.markerKey(message.platform, message.chatId),
    ]);
    const ref =
      (session.extra[0] as MessageRef | undefined) ??
      // The button names its item: a list in progress elsewhere vouches for it at once.
      (await this.o.pending.resolve(message.platform, message.chatId, message.messageId, {
        byItem: true,
        marker: session.extra[1],
      }));
    const lang = session.doc.user.lang;
    const itemId = ref ? pick(ref.itemIds) : undefined;
    if (!ref || !itemId || !ref.itemIds.includes(itemId))
      return { ok: false, reply: { status: 'not-shown', lang, message: t(lang, 'react.notShown') } };
    const evidence = ref.evidence?.[ref.itemIds.indexOf(itemId)] ?? undefined;
    return { ok: true, lang, itemId, doc: session.doc, ...(evidence ? { evidence } : {}) };
  }

  /** Shows or sets the layout (`undefined`: show). A chat scope sets the chat's (admins only: the adapter checks). */
  async layout(actor: Actor, layout: Layout | undefined, scope: ControlScope): Promise<ControlReply> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor, scope.kind === 'chat' ? [chatSettingsKey(scope)] : []);
      const lang = session.doc.user.lang;
      const name = (l: Layout) => t(lang, `layout.${l}`);
      if (!layout) {
        const chat = asChatSettings(session.extra[0])?.layout;
        const mine = displayPrefs(session.doc).layout;
        const text = t(lang, 'layout.current', { layout: name(mine ?? 'cards') });
        return { lang, message: chat ? `${text}\n${t(lang, 'layout.chatCurrent', { layout: name(chat) })}` : text };
      }
      if (scope.kind === 'chat') {
        await this.updateChat(scope, (c) => {
          c.layout = layout;
        });
        return { lang, message: t(lang, 'layout.setChat', { layout: name(layout) }) };
      }
      await this.o.users.commit(session, (d) => setDisplayPrefs(d, { layout }));
      return { lang, message: t(lang, 'layout.set', { layout: name(layout) }) };
    });
  }

  /** Shows (`undefined`) or sets whether items in languages the person does not read are translated. */
  async translate(actor: Actor, on: boolean | undefined): Promise<ControlReply & { on: boolean }> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      const lang = session.doc.user.lang;
      const now = on ?? displayPrefs(session.doc).translate === true;
      if (on !== undefined) await this.o.users.commit(session, (d) => setDisplayPrefs(d, { translate: on }));
      const key: MessageKey = now ? 'translate.on' : 'translate.off';
      const lines = [t(lang, key)];
      if (now && !this.o.translationAvailable) lines.push(t(lang, 'translate.noLlm'));
      return { lang, on: now, message: lines.join('\n') };
    });
  }

  /** Read-modify-write of a chat's settings, compare-and-set on the record (retried on a lost race). */
  private async updateChat<T>(
    chat: { platform: Platform; chatId: string },
    mutate: (c: ChatSettings) => T,
  ): Promise<T> {
    const k = chatSettingsKey(chat);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const read = await storeCall(() => this.o.store.readBatch([k]));
      const cur = asChatSettings(read.values[0]) ?? { filters: [], updatedAt: '' };
      const result = mutate(cur);
      cur.updatedAt = this.o.clock.now().toISOString();
      const ok = await storeCall(() =>
        this.o.store.writeBatch([{ op: 'set', ns: k.ns, key: k.key, value: cur }], {
          expect: [{ ...k, version: read.versions[0] }],
        }),
      );
      if (ok) return result;
    }
    throw new RecoError('STORE_UNAVAILABLE', `chat settings ${k.key} kept changing under this write`);
  }
}

function invalidMessage(lang: Lang, problem: string): string {
  return t(lang, `filters.invalid.${problem}` as MessageKey, {
    list: CATEGORIES.map((c) => categoryName(c, lang)).join(', '),
  });
}

/** A numbered list of filters: the person's first, then the chat's (numbers restart: `/unmute N` per scope). */
export function formatFilters(lang: Lang, mine: readonly MuteFilter[], chat: readonly MuteFilter[]): string {
  const lines: string[] = [];
  const list = (fs: readonly MuteFilter[]) => fs.map((f, i) => `${i + 1}. ${describeFilter(f, lang)}`);
  if (mine.length) lines.push(t(lang, 'filters.list'), ...list(mine));
  if (chat.length) lines.push(...(lines.length ? [''] : []), t(lang, 'filters.listChat'), ...list(chat));
  if (!lines.length) lines.push(t(lang, 'filters.none'));
  return lines.join('\n');
}
