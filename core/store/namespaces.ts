/**
 * Every store namespace the application writes, in one place (docs/ARCHITECTURE.md lists what each holds).
 * Namespaces are short identifiers: letters, digits, `_`, `.`, `-` (see infra/store/common.ts).
 */

/** `UserDoc` per user id. */
export const NS_USERS = 'users';
/** `platform:externalId` → user id. */
export const NS_IDENTITIES = 'identities';
/** `platform:chatId:messageId` → `MessageRef` (the items a bot message carries). */
export const NS_MESSAGES = 'messages';
/** Impression id → `Impression`. */
export const NS_IMPRESSIONS = 'impressions';
/** Item id → `ContentItem`. */
export const NS_ITEMS = 'items';
/** Small named records: the fitted lexical model, the built-in catalog's seeding marker. */
export const NS_META = 'meta';
/** Digest schedules (`sched:`), runs (`run:`) and group members (`members:`). */
export const NS_DIGEST = 'digest';
/** One-time `/link` codes (`code:`) and each user's pending code (`user:`). */
export const NS_LINK = 'link-codes';
/** Daily LLM token budgets. */
export const NS_LLM_BUDGET = 'llm-budget';
/** Validated LLM responses by prompt hash. */
export const NS_LLM_CACHE = 'llm-cache';
/** `platform:thumbnail key` → `MediaRef`: uploaded media reused by later sends (Telegram file_id, Discord CDN URL). */
export const NS_MEDIA = 'media';
/** `platform:chatId` → `ChatRoute`: where a chat's digest goes (a forum topic, a Discord forum channel). */
export const NS_ROUTES = 'routes';
/**
 * Per platform identity (`platform:externalId`), every user id ever created for it (fields of one object, written
 * by the creating commit with an atomic increment): `/forget` deletes all of them, even one a race had made.
 */
export const NS_IDENTITY_LOG = 'identity-log';
/** Shared counters: likes/dislikes per item id (`ItemCounts`), and `~users` (`{ n }`, the user count). */
export const NS_STATS = 'stats';
/** Rows that could not be read, moved aside (key: `<namespace>:<key>`, value: `{ raw | value, reason, at }`). */
export const NS_QUARANTINE = '_quarantine';
/** The namespace the open-time store probe writes to (and deletes from). */
export const NS_PROBE = '_store';
// The vector caches are `vec.<encoder id>` namespaces: `vectorNamespace` in core/catalog/catalog.ts.
/** People's own sources: `src:<source id>` → `SourceRecord` (with its subscribers), `chat:<platform>:<chatId>` → ids. */
export const NS_SOURCES = 'sources';
/** `platform:chatId` → `ChatSettings` (chat-wide filters and layout set by the chat's admins). */
export const NS_CHATS = 'chats';
/** `itemId:lang` → `StoredTranslation` (an item's title and summary translated by the LLM, per language). */
export const NS_TRANSLATIONS = 'translations';
