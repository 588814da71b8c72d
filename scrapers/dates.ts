/**
 * The one date extractor every source uses. Two entry points:
 *
 * - {@link parseDateText}: a date as a list row shows it — ISO-8601, RFC 2822, relative Korean and
 *   English ("3시간 전", "방금", "어제", "2 days ago", "yesterday", "Streamed 5 hours ago"), Korean
 *   local times ("2025-11-26 14:03:11", "2025.11.26. 오후 2:03", "11-26", "14:03", KST).
 * - {@link extractPageDate}: the publication date of a whole page, from (in order) site patterns
 *   (Naver `span.media_end_head_info_datestamp_time[data-date-time]`, Clien, Inven), meta tags
 *   (`article:published_time`, `og:published_time`, `itemprop=datePublished`, Dublin Core, …),
 *   JSON-LD (`datePublished`, `uploadDate`, `dateCreated`, also inside `@graph`), then `<time datetime>`.
 *
 * A source that finds no date leaves `publishedAt` empty; the item is then stored with
 * `dateUnknown: true` (see normalize.ts), which ranking treats as not fresh.
 */
import type { CheerioAPI } from 'cheerio';
import { load } from 'cheerio';

const KST_MS = 9 * 3600e3;

const REL_UNITS: [RegExp, number][] = [
  [/^(?:s|sec|secs|second|seconds|초)$/u, 1e3],
  [/^(?:m|min|mins|minute|minutes|분)$/u, 60e3],
  [/^(?:h|hr|hrs|hour|hours|시간)$/u, 3600e3],
  [/^(?:d|day|days|일)$/u, 86400e3],
  [/^(?:w|wk|wks|week|weeks|주|주일)$/u, 7 * 86400e3],
  [/^(?:mo|mos|month|months|개월|달)$/u, 30 * 86400e3],
  [/^(?:y|yr|yrs|year|years|년)$/u, 365 * 86400e3],
];

/** KST midnight of the day `days` before `now`'s KST day. */
function kstDayStart(now: Date, daysBack: number): Date {
  const k = new Date(now.getTime() + KST_MS);
  return new Date(Date.UTC(k.getUTCFullYear(), k.getUTCMonth(), k.getUTCDate() - daysBack) - KST_MS);
}

/**
 * "3 hours ago", "an hour ago", "Streamed 2 days ago", "1시간전", "3일 전", "방금 전", "just now",
 * "어제", "어제 14:03", "yesterday", "그저께", "오늘 09:30" → ISO time relative to `now`. A day word
 * alone gives the start of that KST day (a list that says "어제" does not say when yesterday).
 * Undefined when the text is not relative.
 */
export function parseRelativeTime(text: string | undefined | null, now: Date): string | undefined {
  if (!text) return undefined;
  const t = text.trim().toLowerCase();
  if (/방금|just now|moments? ago|a few seconds ago/u.test(t)) return now.toISOString();
  const day = /^(오늘|today|어제|yesterday|그저께|그제|엊그제)(?=$|[\s,.])(.*)$/u.exec(t);
  if (day) {
    const back = /오늘|today/.test(day[1]!) ? 0 : /어제|yesterday/.test(day[1]!) ? 1 : 2;
    const start = kstDayStart(now, back);
    const time = /(오전|오후|am|pm)?\s*(\d{1,2}):(\d{2})\s*(am|pm)?/u.exec(day[2]!);
    if (!time) return start.toISOString();
    let h = Number(time[2]);
    const ampm = time[1] ?? time[4];
    if ((ampm === '오후' || ampm === 'pm') && h < 12) h += 12;
    if ((ampm === '오전' || ampm === 'am') && h === 12) h = 0;
    return new Date(start.getTime() + h * 3600e3 + Number(time[3]) * 60e3).toISOString();
  }
  const m = /(\d+|an?|one)\s*([a-z]+|초|분|시간|일|주일?|개월|달|년)\s*(?:ago|전)/iu.exec(t);
  if (!m) return undefined;
  const n = /^\d+$/.test(m[1]!) ? Number(m[1]) : 1;
  const ms = REL_UNITS.find(([re]) => re.test(m[2]!))?.[1];
  if (ms === undefined) return undefined;
  return new Date(now.getTime() - n * ms).toISOString();
}

/**
 * A Korean site's local time (KST, UTC+9): "2025-11-26 14:03:11", "2025.11.26. 오후 2:03",
 * "2025.11.26", "11-26" (this year, or last year when that would be in the future), "14:03"
 * (today, or yesterday when that would be in the future: boards show today's posts by time only).
 * Undefined when unrecognised.
 */
export function parseKstTime(text: string | undefined | null, now: Date): string | undefined {
  if (!text) return undefined;
  const t = text.trim();
  const kstNow = new Date(now.getTime() + KST_MS);
  let y = kstNow.getUTCFullYear();
  let mo = kstNow.getUTCMonth() + 1;
  let d = kstNow.getUTCDate();
  let h = 0;
  let mi = 0;
  let s = 0;
  let kind: 'full' | 'short' | 'time' | undefined;
  const full = /(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*[.일]?/u.exec(t);
  const short = /^(\d{1,2})[-./](\d{1,2})(?:\.|\s|$)/u.exec(t);
  if (full) {
    y = Number(full[1]);
    mo = Number(full[2]);
    d = Number(full[3]);
    kind = 'full';
  } else if (short) {
    mo = Number(short[1]);
    d = Number(short[2]);
    kind = 'short';
  }
  const time = /(오전|오후|AM|PM)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?/iu.exec(
    full ? t.slice(full.index + full[0].length) : short ? t.slice(short[0].length) : t,
  );
  if (time) {
    h = Number(time[2]);
    mi = Number(time[3]);
    s = Number(time[4] ?? 0);
    const ampm = (time[1] ?? time[5])?.toUpperCase();
    if ((ampm === '오후' || ampm === 'PM') && h < 12) h += 12;
    if ((ampm === '오전' || ampm === 'AM') && h === 12) h = 0;
    kind ??= 'time';
  }
  if (!kind || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return undefined;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s) - KST_MS;
  if (!Number.isFinite(ms)) return undefined;
  const future = ms > now.getTime() + 5 * 60e3;
  if (future && kind === 'time') ms -= 86400e3;
  if (future && kind === 'short') ms = Date.UTC(y - 1, mo - 1, d, h, mi, s) - KST_MS;
  return new Date(ms).toISOString();
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const RFC_2822 = /^(?:[A-Z][a-z]{2},?\s+)?\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}\s+\d{1,2}:\d{2}/;
/** "Nov 26, 2025", "November 26, 2025", "26 November 2025" (a day, read as UTC midnight). */
const EN_DATE =
  /^(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4})$/i;

/**
 * Any date a page or feed shows: ISO-8601 / RFC 2822 (with a zone; a bare ISO date-time is read
 * as KST when `assumeKst`, else UTC), epoch seconds, relative Korean/English, Korean local.
 * @example parseDateText('3시간 전', now) // now - 3 h
 * @example parseDateText('Tue, 01 Oct 2019 14:30:00 PST', now) // '2019-10-01T22:30:00.000Z'
 */
export function parseDateText(
  text: string | number | undefined | null,
  now: Date,
  options: { assumeKst?: boolean } = {},
): string | undefined {
  if (text === undefined || text === null) return undefined;
  if (typeof text === 'number') return fromEpoch(text);
  const t = text.replace(/\s+/g, ' ').trim();
  if (!t) return undefined;
  if (/^\d{10}(?:\d{3})?$/.test(t)) return fromEpoch(Number(t));
  if (ISO_LIKE.test(t)) {
    const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(t) || t.length === 10;
    if (zoned || !options.assumeKst) {
      const ms = Date.parse(zoned ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`);
      if (Number.isFinite(ms)) return new Date(ms).toISOString();
    } else return parseKstTime(t, now);
  }
  if (RFC_2822.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  if (EN_DATE.test(t)) {
    const ms = Date.parse(`${t.replace(/\./g, '')} UTC`);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return parseRelativeTime(t, now) ?? parseKstTime(t, now);
}

function fromEpoch(n: number): string | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  const ms = n > 1e12 ? n : n * 1000;
  return new Date(ms).toISOString();
}

export type DateSource = 'site' | 'meta' | 'json-ld' | 'time';

export interface PageDate {
  iso: string;
  source: DateSource;
  /** What matched: a selector, a meta name, a JSON-LD key. */
  via: string;
}

/** Site patterns: where a site keeps an article's date when its meta tags do not. Times are KST. */
const SITE_PATTERNS: { host: RegExp; selector: string; attr?: string }[] = [
  // 네이버 뉴스 article: <span class="media_end_head_info_datestamp_time _ARTICLE_DATE_TIME" data-date-time="2024-01-11 09:56:31">
  {
    host: /(^|\.)naver\.com$/,
    selector: 'span.media_end_head_info_datestamp_time[data-date-time], ._ARTICLE_DATE_TIME[data-date-time]',
    attr: 'data-date-time',
  },
  // 네이버 스포츠/연예 article pages
  { host: /(^|\.)naver\.com$/, selector: 'em.date, .article_info .author em, .NewsEndMain_date__xjtsQ' },
  // 클리앙 post: <div class="post_author"><span class="view_count date">2025-11-26 14:03:11</span>
  { host: /(^|\.)clien\.net$/, selector: '.post_view .post_author .view_count.date, .post_author .date' },
  // 인벤 webzine article and board post
  { host: /(^|\.)inven\.co\.kr$/, selector: '.articleDate, .articleInfo .date, .webzineNewsInfo .date' },
];

const META_NAMES = [
  'article:published_time',
  'og:article:published_time',
  'og:published_time',
  'published_time',
  'datePublished',
  'date',
  'pubdate',
  'publishdate',
  'publish-date',
  'DC.date.issued',
  'dc.date.issued',
  'DC.date',
  'dc.date',
  'dcterms.created',
  'dcterms.issued',
  'parsely-pub-date',
  'sailthru.date',
  'article.published',
  'uploadDate',
];

const JSONLD_KEYS = ['datePublished', 'uploadDate', 'dateCreated'];

/**
 * The publication date of a page. `html` is a body or an already-loaded cheerio document.
 * @example extractPageDate(naverArticleHtml, 'https://n.news.naver.com/mnews/article/001/0014446160', now)
 */
export function extractPageDate(html: string | CheerioAPI, pageUrl: string, now: Date): PageDate | undefined {
  const $ = typeof html === 'string' ? load(html) : html;
  let host = '';
  try {
    host = new URL(pageUrl).hostname.toLowerCase();
  } catch {
    // keep '' (no site pattern applies)
  }
  for (const p of SITE_PATTERNS) {
    if (!p.host.test(host)) continue;
    const el = $(p.selector).first();
    if (!el.length) continue;
    const raw = p.attr ? el.attr(p.attr) : el.text();
    const iso = parseDateText(raw, now, { assumeKst: true });
    if (iso) return { iso, source: 'site', via: p.selector };
  }
  for (const name of META_NAMES) {
    const el = $(`meta[property="${name}"], meta[name="${name}"], meta[itemprop="${name}"]`).first();
    const raw = el.attr('content');
    const iso = parseDateText(raw, now, { assumeKst: /\.(kr)$/.test(host) });
    if (iso) return { iso, source: 'meta', via: name };
  }
  const fromLd = jsonLdDate($, now);
  if (fromLd) return fromLd;
  const times = $('time[datetime]');
  const preferred = times.filter((_, el) =>
    /pub|date|posted/i.test(`${$(el).attr('itemprop') ?? ''} ${$(el).attr('class') ?? ''}`),
  );
  for (const el of [...preferred.toArray(), ...times.toArray()]) {
    const iso = parseDateText($(el).attr('datetime'), now);
    if (iso) return { iso, source: 'time', via: 'time[datetime]' };
  }
  return undefined;
}

/** `datePublished` / `uploadDate` / `dateCreated` of the first JSON-LD object that has one (nested `@graph` included). */
export function jsonLdDate($: CheerioAPI, now: Date): PageDate | undefined {
  for (const data of jsonLdObjects($)) {
    for (const key of JSONLD_KEYS) {
      const v = data[key];
      const iso = typeof v === 'string' || typeof v === 'number' ? parseDateText(v, now) : undefined;
      if (iso) return { iso, source: 'json-ld', via: key };
    }
  }
  return undefined;
}

/** Every object in the page's JSON-LD blocks, depth-first (arrays and `@graph` flattened). */
export function jsonLdObjects($: CheerioAPI): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  $('script[type="application/ld+json"]').each((_, el) => {
    let data: unknown;
    try {
      data = JSON.parse($(el).text());
    } catch {
      return;
    }
    const stack: unknown[] = [data];
    let seen = 0;
    while (stack.length && seen++ < 5000) {
      const node = stack.pop();
      if (Array.isArray(node)) for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
      else if (node && typeof node === 'object') {
        const rec = node as Record<string, unknown>;
        out.push(rec);
        for (const v of Object.values(rec)) if (v && typeof v === 'object') stack.push(v);
      }
    }
  });
  return out;
}
