/**
 * Where controls live: a person's filters and display choices in their user document (`ext.filters`,
 * `ext.display`), a chat's in one `ChatSettings` record per chat (`NS_CHATS`, key `platform:chatId`), read in
 * the same store round trip as the identity. Neither is ever read by learning: they change what is shown, not
 * what the bot thinks someone likes.
 */
import type { Platform } from '../domain.js';
import type { StoreKey } from '../ports.js';
import { NS_CHATS } from '../store/namespaces.js';
import type { UserDoc } from '../users/doc.js';
import type { MuteFilter } from './filters.js';

/** How a list looks: one message per item with its picture (`cards`), or one numbered message (`compact`). */
export type Layout = 'cards' | 'compact';
export const LAYOUTS = ['cards', 'compact'] as const satisfies readonly Layout[];

/** A person's display choices (`UserDoc.ext.display`). */
export interface DisplayPrefs {
  layout?: Layout;
  /** Translate items in languages the person does not read (opt-in). */
  translate?: boolean;
}

/** A chat's settings, set by its admins. */
export interface ChatSettings {
  filters: MuteFilter[];
  layout?: Layout;
  updatedAt: string;
}

export function chatKey(platform: Platform, chatId: string): string {
  return `${platform}:${chatId}`;
}

export function chatSettingsKey(target: { platform: Platform; chatId: string }): StoreKey {
  return { ns: NS_CHATS, key: chatKey(target.platform, target.chatId) };
}

/** A stored value read as chat settings (anything malformed reads as none). */
export function asChatSettings(v: unknown): ChatSettings | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const c = v as Partial<ChatSettings>;
  return {
    filters: Array.isArray(c.filters) ? c.filters.filter(isFilter) : [],
    ...(c.layout === 'cards' || c.layout === 'compact' ? { layout: c.layout } : {}),
    updatedAt: typeof c.updatedAt === 'string' ? c.updatedAt : '',
  };
}

function isFilter(f: unknown): f is MuteFilter {
  const x = f as Partial<MuteFilter> | undefined;
  return !!x && (x.kind === 'word' || x.kind === 'source' || x.kind === 'category') && typeof x.pattern === 'string';
}

/** The person's own filters (a copy; write with `setUserFilters`). */
export function userFilters(doc: UserDoc): MuteFilter[] {
  const v = doc.ext.filters;
  return Array.isArray(v) ? v.filter(isFilter) : [];
}

export function setUserFilters(doc: UserDoc, filters: MuteFilter[]): void {
  doc.ext.filters = filters;
}

export function displayPrefs(doc: UserDoc): DisplayPrefs {
  const v = doc.ext.display as Partial<DisplayPrefs> | undefined;
  return {
    ...(v?.layout === 'cards' || v?.layout === 'compact' ? { layout: v.layout } : {}),
    ...(v?.translate === true ? { translate: true } : {}),
  };
}

export function setDisplayPrefs(doc: UserDoc, prefs: DisplayPrefs): void {
  doc.ext.display = { ...displayPrefs(doc), ...prefs };
}

/**
 * The layout of a list for this person in this chat: the chat's choice (its admins') wins in a group, then the
 * person's, then the default.
 */
export function layoutFor(doc: UserDoc, chat: ChatSettings | undefined, fallback: Layout): Layout {
  return chat?.layout ?? displayPrefs(doc).layout ?? fallback;
}

/** Every filter that applies to this person's lists in this chat: their own, and the chat's on top. */
export function filtersFor(doc: UserDoc, chat: ChatSettings | undefined): MuteFilter[] {
  return [...userFilters(doc), ...(chat?.filters ?? [])];
}
