/**
 * Parses one console line. Returns a value (never throws): a command, a reaction, free text, or an
 * error identifier the adapter turns into a localised message.
 */
import type { Category } from '../../core/domain.js';
import { LINK_CONFIRM_WORDS } from '../../core/identity/link.js';
import type { Layout } from '../../core/filters/settings.js';
import { parseCategory } from '../../core/messages.js';

export type ConsoleInput =
  | { kind: 'empty' }
  | { kind: 'text'; text: string }
  | { kind: 'react'; emoji: string; position: number; action: 'add' | 'remove' }
  | { kind: 'recommend'; topic?: string; count?: number; category?: Category; source?: string }
  | { kind: 'more'; position: number; count?: number }
  | { kind: 'persona'; remove?: string; mute?: string; unmute?: string }
  | { kind: 'mute'; filter: string }
  | { kind: 'unmute'; filter: string }
  | { kind: 'filters' }
  | { kind: 'layout'; layout?: Layout }
  | { kind: 'translate'; on?: boolean }
  | { kind: 'item'; action: 'why' | 'less' | 'mutesource'; position: number }
  | { kind: 'forget'; confirmed: boolean }
  | { kind: 'explore'; level?: number }
  | { kind: 'link'; code?: string; confirm?: boolean }
  | { kind: 'subscribe'; target?: string; category?: Category }
  | { kind: 'unsubscribe'; ref?: string }
  | { kind: 'sources'; export: boolean }
  | { kind: 'status' }
  | { kind: 'start' }
  | { kind: 'interests'; picks?: number[] }
  | { kind: 'image'; path: string; caption?: string }
  | { kind: 'quiet'; args: string }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'error'; error: 'unknown-command' | 'bad-arg'; command?: string; arg?: string; reason?: string };

/** An emoji-ish token: pictographs, hearts, stars (with optional variation selector / skin tone). */
const EMOJI =
  /^(?:\p{Extended_Pictographic}|\p{Emoji_Presentation})(?:\uFE0F|\p{Emoji_Modifier})*(?:\u200D(?:\p{Extended_Pictographic})\uFE0F?)*$/u;

export function isEmoji(token: string): boolean {
  return EMOJI.test(token);
}

function parseReaction(line: string): ConsoleInput | undefined {
  // "👍 2", "-👍 2", "2 👍", "/react 2 👍", "/unreact 2 👍"
  let s = line.trim();
  let action: 'add' | 'remove' = 'add';
  const cmd = /^\/(react|unreact)\s+/i.exec(s);
  if (cmd) {
    action = cmd[1]!.toLowerCase() === 'unreact' ? 'remove' : 'add';
    s = s.slice(cmd[0].length);
  } else if (s.startsWith('-')) {
    action = 'remove';
    s = s.slice(1).trim();
  }
  const parts = s.split(/\s+/);
  if (parts.length !== 2) return undefined;
  const [a, b] = parts as [string, string];
  const [emoji, num] = isEmoji(a) ? [a, b] : isEmoji(b) ? [b, a] : [undefined, undefined];
  if (!emoji || !num || !/^\d{1,3}$/.test(num))
    return cmd ? { kind: 'error', error: 'bad-arg', arg: 'reaction', reason: '/react <n> <emoji>' } : undefined;
  return { kind: 'react', emoji, position: Number(num), action };
}

export function parseConsoleLine(raw: string): ConsoleInput {
  const line = raw.trim();
  if (!line) return { kind: 'empty' };
  const reaction = parseReaction(line);
  if (reaction) return reaction;
  if (!line.startsWith('/')) return { kind: 'text', text: line };

  const [head = '', ...rest] = line.split(/\s+/);
  const name = head.slice(1).toLowerCase();
  switch (name) {
    case 'recommend':
    case 'reco':
    case 'r':
    case '추천':
      return parseRecommend(rest);
    case 'more':
    case '더보기': {
      const pos = Number(rest[0]);
      const count = rest[1] === undefined ? undefined : Number(rest[1]);
      if (!Number.isInteger(pos) || pos < 1 || pos > 50)
        return { kind: 'error', error: 'bad-arg', arg: 'item', reason: '/more <n>' };
      if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > 50))
        return { kind: 'error', error: 'bad-arg', arg: 'count', reason: '1-50' };
      return count === undefined ? { kind: 'more', position: pos } : { kind: 'more', position: pos, count };
    }
    case 'persona':
      if (['mute', 'unmute', '뮤트', '뮤트해제'].includes(rest[0]?.toLowerCase() ?? '')) {
        const what = rest.slice(1).join(' ').trim();
        const un = /^(unmute|뮤트해제)$/i.test(rest[0]!);
        if (!what) return { kind: 'error', error: 'bad-arg', arg: 'filter', reason: `/persona ${rest[0]} <filter>` };
        return un ? { kind: 'persona', unmute: what } : { kind: 'persona', mute: what };
      }
      if (rest[0]?.toLowerCase() === 'remove' || rest[0] === '삭제') {
        const term = rest.slice(1).join(' ').trim();
        return term
          ? { kind: 'persona', remove: term }
          : { kind: 'error', error: 'bad-arg', arg: 'term', reason: '/persona remove <term>' };
      }
      return { kind: 'persona' };
    case 'forget':
      return { kind: 'forget', confirmed: ['--yes', 'yes', 'y', '네', '예'].includes((rest[0] ?? '').toLowerCase()) };
    case 'explore': {
      if (rest.length === 0) return { kind: 'explore' };
      const n = Number(rest[0]);
      return Number.isInteger(n) && n >= 0 && n <= 3
        ? { kind: 'explore', level: n }
        : { kind: 'error', error: 'bad-arg', arg: 'level', reason: '0-3' };
    }
    case 'link':
      if (!rest[0]) return { kind: 'link' };
      return (LINK_CONFIRM_WORDS as readonly string[]).includes((rest[1] ?? '').toLowerCase())
        ? { kind: 'link', code: rest[0], confirm: true }
        : { kind: 'link', code: rest[0] };
    case 'subscribe':
    case '구독': {
      const category = rest[1] ? parseCategory(rest[1]) : undefined;
      return rest[0]
        ? { kind: 'subscribe', target: rest[0], ...(category ? { category } : {}) }
        : { kind: 'subscribe' };
    }
    case 'unsubscribe':
    case '구독취소':
      return rest.length ? { kind: 'unsubscribe', ref: rest.join(' ') } : { kind: 'unsubscribe' };
    case 'sources':
    case '소스':
      return { kind: 'sources', export: /^(export|opml|내보내기)$/i.test(rest[0] ?? '') };
    case 'mute':
    case '뮤트':
    case 'unmute':
    case '뮤트해제': {
      const filter = rest.join(' ').trim();
      const un = name === 'unmute' || name === '뮤트해제';
      if (!filter)
        return {
          kind: 'error',
          error: 'bad-arg',
          arg: 'filter',
          reason: `/${name} <word | source:<id> | category:<name>>`,
        };
      return { kind: un ? 'unmute' : 'mute', filter };
    }
    case 'filters':
    case '필터':
      return { kind: 'filters' };
    case 'layout':
    case '형식': {
      const v = rest[0]?.toLowerCase();
      if (v === undefined) return { kind: 'layout' };
      if (v === 'compact' || v === '간결') return { kind: 'layout', layout: 'compact' };
      if (v === 'cards' || v === 'card' || v === '카드') return { kind: 'layout', layout: 'cards' };
      return { kind: 'error', error: 'bad-arg', arg: 'layout', reason: 'compact | cards' };
    }
    case 'translate':
    case '번역': {
      const v = rest[0]?.toLowerCase();
      if (v === undefined) return { kind: 'translate' };
      if (v === 'on' || v === '켜기') return { kind: 'translate', on: true };
      if (v === 'off' || v === '끄기') return { kind: 'translate', on: false };
      return { kind: 'error', error: 'bad-arg', arg: 'translate', reason: 'on | off' };
    }
    case 'why':
    case '이유':
    case 'less':
    case 'mutesource': {
      const pos = Number(rest[0]);
      const action = name === 'less' ? 'less' : name === 'mutesource' ? 'mutesource' : 'why';
      if (!Number.isInteger(pos) || pos < 1 || pos > 50)
        return { kind: 'error', error: 'bad-arg', arg: 'item', reason: `/${name} <n>` };
      return { kind: 'item', action, position: pos };
    }
    case 'status':
      return { kind: 'status' };
    case 'quiet':
    case '방해금지':
      return { kind: 'quiet', args: rest.join(' ') };
    case 'help':
      return { kind: 'help' };
    case 'start':
      return { kind: 'start' };
    case 'interests':
    case '관심사': {
      if (rest.length === 0) return { kind: 'interests' };
      const picks = parsePickNumbers(rest.join(' '));
      return picks
        ? { kind: 'interests', picks }
        : { kind: 'error', error: 'bad-arg', arg: 'numbers', reason: '/interests 1 4 7' };
    }
    case 'image':
    case 'photo':
    case '사진': {
      // `/image <path> [caption]`; a path with spaces goes in quotes.
      const arg = line.slice(head.length).trim();
      const m = /^"([^"]+)"\s*(.*)$|^'([^']+)'\s*(.*)$|^(\S+)\s*(.*)$/s.exec(arg);
      const path = m ? (m[1] ?? m[3] ?? m[5]) : undefined;
      const caption = m ? (m[2] ?? m[4] ?? m[6] ?? '').trim() : '';
      if (!path) return { kind: 'error', error: 'bad-arg', arg: 'path', reason: '/image <file> [caption]' };
      return caption ? { kind: 'image', path, caption: caption.slice(0, 200) } : { kind: 'image', path };
    }
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    default:
      return { kind: 'error', error: 'unknown-command', command: head.slice(0, 40) };
  }
}

/** "1 4 7", "1,4,7": the numbers of a picker answer (1–99, at most 25); undefined when the line is not one. */
export function parsePickNumbers(line: string): number[] | undefined {
  const parts = line
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (parts.length === 0 || parts.length > 25 || !parts.every((p) => /^\d{1,2}$/.test(p))) return undefined;
  return parts.map(Number);
}

/**
 * `/recommend [topic] [count] [category]`: trailing count and category are read from the end
 * (`/recommend 축구 3 sports`), a lone category is a category (`/recommend games`), and
 * `count=`, `category=`, `source=` work anywhere.
 */
function parseRecommend(args: string[]): ConsoleInput {
  const out: { kind: 'recommend'; topic?: string; count?: number; category?: Category; source?: string } = {
    kind: 'recommend',
  };
  const rest: string[] = [];
  for (const a of args) {
    const kv = /^(count|category|source|topic)=(.+)$/i.exec(a);
    if (!kv) {
      rest.push(a);
      continue;
    }
    const key = kv[1]!.toLowerCase();
    const value = kv[2]!;
    if (key === 'count') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 50)
        return { kind: 'error', error: 'bad-arg', arg: 'count', reason: '1-50' };
      out.count = n;
    } else if (key === 'category') {
      const c = parseCategory(value);
      if (!c) return { kind: 'error', error: 'bad-arg', arg: 'category', reason: value.slice(0, 30) };
      out.category = c;
    } else if (key === 'source') out.source = value.slice(0, 60);
    else rest.push(value);
  }
  while (rest.length > 0) {
    const last = rest[rest.length - 1]!;
    const c = parseCategory(last);
    if (c && out.category === undefined) {
      out.category = c;
      rest.pop();
    } else if (/^\d+$/.test(last) && out.count === undefined) {
      const n = Number(last);
      if (n < 1 || n > 50) return { kind: 'error', error: 'bad-arg', arg: 'count', reason: '1-50' };
      out.count = n;
      rest.pop();
    } else break;
  }
  if (rest.length) out.topic = rest.join(' ').slice(0, 200);
  return out;
}
