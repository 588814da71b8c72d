/**
 * The source plugin interface. A plugin knows a site: which pages list its content, whether they
 * need a browser, and how to turn a fetched page into item candidates. Fetching, politeness,
 * robots.txt, normalisation, dedupe and storage are done by the pipeline around it.
 */
import type { Category, Lang, Popularity } from '../core/domain.js';

/** `http`: a plain GET is enough (server-rendered HTML, feeds, embedded JSON). `browser`: needs JavaScript. */
export type ScrapeMode = 'http' | 'browser';

/** One page that lists content: a section, a board, a topic in a locale, a channel. */
export interface ListPage {
  url: string;
  /** The plugin's own name for it (a section id, a board, a topic), for logs, category mapping and tags. */
  section?: string;
  /** The category of everything on this page (overrides the plugin default). */
  category?: Category;
  /** The language content on this page is expected in (detection still runs; this is the fallback). */
  lang?: Lang;
}

/** A fetched page as the parser sees it. */
export interface FetchedPage {
  /** The URL requested. */
  url: string;
  /** The URL after redirects (relative links resolve against it). */
  finalUrl: string;
  status: number;
  contentType: string;
  /** The body (for `browser` mode: the rendered DOM serialised). */
  body: string;
  mode: ScrapeMode;
}

/** What a parser extracts for one item, before normalisation. */
export interface ItemCandidate {
  /** Absolute or relative to the page. */
  url: string;
  title: string;
  summary?: string;
  category?: Category;
  lang?: Lang;
  thumbnail?: string;
  /** ISO-8601; the fetch time when missing. */
  publishedAt?: string;
  popularity?: Popularity;
  tags?: string[];
}

/** What stood between the bot and the content: a login wall, a bot check (captcha, block page), a consent page. */
export type WallKind = 'login' | 'blocked' | 'consent';

export interface ParseResult {
  items: ItemCandidate[];
  /** Human-readable notes for the health record (e.g. "login wall: showing profile only"). */
  notes?: string[];
  /**
   * The site showed a login wall / consent page / captcha instead of content. The pipeline records
   * the source as degraded (not failed) with the notes above.
   */
  walled?: boolean;
  /** The kind of wall and what an operator can do instead (an RSS bridge, the official API). */
  wall?: { kind: WallKind; hint: string };
  /**
   * Nodes on the page that look like items to a looser check than the parser's (links to articles,
   * objects with a video id). With no items, N > 0 means the layout changed; 0 means the list is empty.
   */
  candidates?: number;
  /** A structure the parser needs is missing altogether (e.g. `ytInitialData`): the layout changed. */
  missing?: string;
}

export interface ParseContext {
  page: ListPage;
  fetchedAt: Date;
}

export interface Politeness {
  /** Minimum milliseconds between two requests to this source's host (on top of robots.txt Crawl-delay). */
  delayMs?: number;
  /** At most this many requests at once to this source's host. */
  perDomain?: number;
}

export interface SourcePlugin {
  /** Stable id used in config, health and `ContentItem.source`: `naver-news`, `rss:example.com`. */
  readonly id: string;
  readonly displayName: string;
  readonly mode: ScrapeMode;
  /** Category for items whose page and parser name none. */
  readonly defaultCategory: Category;
  /** The source's own sections / boards / topics → our categories. */
  readonly categoryMap?: Readonly<Record<string, Category>>;
  /** Language fallback when detection is unsure. */
  readonly defaultLang: Lang;
  /** The base URL every page URL is built from (overridable for tests and mirrors). */
  readonly baseUrl: string;
  /**
   * The public site that relative item links resolve against (default: the fetched page's URL).
   * Built-in plugins set their real origin, so items read from a mirror still link to the site.
   */
  readonly linkBaseUrl?: string;
  readonly politeness?: Politeness;
  /** Browser mode: a CSS selector that appears once the list has rendered. */
  readonly waitFor?: string;
  /** Minutes between scheduled runs (defaults to SCRAPE_INTERVAL_MINUTES). */
  readonly intervalMinutes?: number;
  /** Query parameters of this site's URLs that only track or paginate (stripped from canonical URLs). */
  readonly trackingParams?: readonly string[];
  listPages(): ListPage[];
  parse(page: FetchedPage, ctx: ParseContext): ParseResult;
}

/** Options every built-in plugin factory accepts. */
export interface PluginOptions {
  /** Replace the site's origin (and path prefix), e.g. `http://127.0.0.1:4321/clien`. */
  baseUrl?: string;
  intervalMinutes?: number;
  politeness?: Politeness;
}
