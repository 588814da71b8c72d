/**
 * The one reply splitter: every long reply on every platform is cut here, so no message exceeds a
 * platform's limit (Telegram 4,096, Discord 2,000) however long the persona, a list of sources or an
 * error text grows. Length is measured in UTF-16 code units, what both platforms count (and never less
 * than the number of characters), and a cut never splits a surrogate pair or a grapheme's combining mark
 * from its base.
 *
 * Where it cuts, best first: at a blank line (paragraph), at a line break, after a sentence end, at a
 * space, and only then inside a word (a 4,000-character word is still split, never dropped).
 *
 * @example
 * for (const part of splitMessage(longText, TELEGRAM_TEXT_LIMIT)) await ctx.reply(part);
 */

/** Telegram's limit on a message text (`sendMessage`, `editMessageText`), after entity parsing. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** Telegram's limit on a media caption. */
export const TELEGRAM_CAPTION_LIMIT = 1024;
/** Discord's limit on a message's `content`. */
export const DISCORD_CONTENT_LIMIT = 2000;

/** Whether the code unit at `i` continues the character before it (low surrogate, combining mark, ZWJ, VS). */
function continues(s: string, i: number): boolean {
  if (i <= 0 || i >= s.length) return false;
  const c = s.charCodeAt(i);
  if (c >= 0xdc00 && c <= 0xdfff) return true; // low surrogate
  if (c === 0x200d || (c >= 0xfe00 && c <= 0xfe0f)) return true; // ZWJ, variation selectors
  return /\p{M}/u.test(s[i]!);
}

/** The best cut position in `s` (longer than `max`): a paragraph, a line, a sentence end, a space, else inside a word. */
function cutAt(s: string, max: number): number {
  const head = s.slice(0, max);
  const min = Math.floor(max / 3); // never leave a tiny part when a better cut exists further on
  const paragraph = head.lastIndexOf('\n\n');
  if (paragraph >= min) return paragraph + 2;
  const line = head.lastIndexOf('\n');
  if (line >= min) return line + 1;
  let sentence = -1;
  for (const m of head.matchAll(/[.!?\u3002\uff01\uff1f](?=\s)/g)) sentence = m.index + 1;
  if (sentence >= min) return sentence;
  const space = head.lastIndexOf(' ');
  if (space >= min) return space + 1;
  let i = max;
  while (i > 1 && continues(s, i)) i--;
  return i;
}

/**
 * Splits `text` into parts of at most `max` UTF-16 code units each (trailing whitespace of a part and
 * leading whitespace of the next are dropped). An empty or blank text gives `[]`.
 */
export function splitMessage(text: string, max: number): string[] {
  if (!Number.isInteger(max) || max < 16) throw new RangeError(`splitMessage: max must be an integer ≥ 16, got ${max}`);
  const out: string[] = [];
  let rest = text.replace(/\s+$/u, '');
  while (rest.length > max) {
    const at = cutAt(rest, max);
    const part = rest.slice(0, at).replace(/\s+$/u, '');
    if (part) out.push(part);
    rest = rest.slice(at).replace(/^\s+/u, '');
  }
  if (rest.trim()) out.push(rest);
  return out;
}

/** `text` cut to at most `max` UTF-16 code units with an ellipsis (for the one-message places: captions, edits). */
export function clipMessage(text: string, max: number): string {
  if (text.length <= max) return text;
  let i = max - 1;
  while (i > 1 && continues(text, i)) i--;
  return `${text.slice(0, i)}…`;
}
