/**
 * A small `App` for Telegram (and core) tests: the composition root (`createApp`) on a given store (memory
 * or a shared SQLite file), a fixed catalog instead of the built-in one, the lexical encoder and a
 * controllable clock. With `LLM_BASE_URL`/`LLM_API_KEY` in `env`, the LLM explainer is wired as in
 * production (point it at tests/helpers/fake-openai.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, type App, type CreateAppOptions } from '../../app/compose.js';
import { itemText } from '../../core/catalog/catalog.js';
import { defaultConfig, type ConfigKey } from '../../core/config.js';
import { CATEGORIES, type Category, type ContentItem } from '../../core/domain.js';
import { LexicalEncoder } from '../../core/lexical.js';
import type { Clock, KeyValueStore, Logger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';

export class TestClock implements Clock {
  constructor(public t: Date) {}
  now(): Date {
    return new Date(this.t.getTime());
  }
  set(iso: string): void {
    this.t = new Date(iso);
  }
  advance(ms: number): void {
    this.t = new Date(this.t.getTime() + ms);
  }
}

const TOPICS: Record<Category, [string, string][]> = {
  news: [
    ['Election results announced', 'Votes counted in the national election'],
    ['City council budget', 'New budget for public transport'],
  ],
  tech: [
    ['New TypeScript release', 'TypeScript compiler adds faster type checking'],
    ['Rust in the Linux kernel', 'Kernel drivers written in Rust'],
    ['GPU prices fall', 'Graphics cards get cheaper for gamers and AI'],
  ],
  games: [
    ['Zelda speedrun record', 'A new world record speedrun of Zelda'],
    ['Indie game of the year', 'Small studio wins game award'],
    ['Starcraft league finals', 'Esports finals in Seoul'],
  ],
  sports: [
    ['Football derby ends in draw', 'Premier league football match report'],
    ['Football transfer window', 'Premier league football transfer news'],
    ['Baseball playoffs begin', 'KBO baseball playoffs schedule'],
    ['Marathon world record', 'Running marathon record in Berlin'],
  ],
  entertainment: [
    ['Drama series finale', 'K-drama finale breaks ratings'],
    ['Film festival winners', 'Busan film festival awards'],
  ],
  music: [
    ['K-pop comeback', 'Idol group releases new album'],
    ['Jazz night in Seoul', 'Live jazz club concert review'],
  ],
  food: [
    ['Best ramen in town', '라면 맛집 ramen noodle guide'],
    ['Kimchi recipe', 'Homemade kimchi fermentation recipe'],
  ],
  travel: [
    ['Jeju island guide', 'Travel tips for Jeju island'],
    ['Cheap flights to Tokyo', 'Budget travel to Japan'],
  ],
  fashion: [['Winter coat trends', 'Fashion trends for winter coats']],
  science: [
    ['Mars rover finds water', 'Space science news from Mars'],
    ['Quantum computer milestone', 'Physics breakthrough in quantum computing'],
  ],
  finance: [
    ['Stock market rally', 'KOSPI index rises'],
    ['Interest rates unchanged', 'Central bank keeps rates'],
  ],
  lifestyle: [
    ['Minimalist apartment tour', 'Home interior minimalism'],
    ['Morning routine tips', 'Healthy morning habits'],
  ],
};

/** A fixed catalog: ~28 items over every category; some with https thumbnails, one with a local file. */
export function fixtureItems(now: Date, thumbFile?: string): ContentItem[] {
  const out: ContentItem[] = [];
  let k = 0;
  for (const c of CATEGORIES) {
    for (const [title, summary] of TOPICS[c]) {
      k++;
      const id = `it_${String(k).padStart(3, '0')}`;
      const url = `https://example.com/${c}/${k}`;
      out.push({
        id,
        url,
        canonicalUrl: url,
        title,
        summary,
        category: c,
        source: k % 3 === 0 ? 'youtube' : 'rss:test',
        lang: 'en',
        ...(k % 4 === 0
          ? { thumbnail: `https://img.example.com/${k}.jpg` }
          : k === 2 && thumbFile
            ? { thumbnail: thumbFile }
            : {}),
        publishedAt: new Date(now.getTime() - (k % 7) * 3_600_000).toISOString(),
        fetchedAt: now.toISOString(),
        popularity: { views: 1000 * ((k * 7) % 13) },
        tags: [c],
      });
    }
  }
  return out;
}

/** Writes a tiny PNG under tests/.tmp and returns its path (relative to the project root). */
export function writeThumb(): string {
  mkdirSync('tests/.tmp', { recursive: true });
  const p = join('tests/.tmp', 'tg-thumb.png');
  // 1×1 transparent PNG
  writeFileSync(
    p,
    Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    ),
  );
  return p;
}

export const debugLogger: Logger = {
  debug: () => {},
  info: (o, m) => console.log('INFO', m, o),
  warn: (o, m) => console.log('WARN', m, o),
  error: (o, m) => console.log('ERROR', m, o),
  child: () => debugLogger,
};

export async function makeApp(opts: {
  store: KeyValueStore;
  clock: TestClock;
  env?: Partial<Record<ConfigKey, string>>;
  items?: ContentItem[];
  digest?: CreateAppOptions['digest'];
  role?: CreateAppOptions['role'];
  /** People's own sources: the address guard's switch and DNS (see CreateAppOptions). */
  sources?: CreateAppOptions['sources'];
}): Promise<App> {
  const config = defaultConfig(opts.env ?? {});
  const logger = process.env.DEBUG_TG === '1' ? debugLogger : silentLogger;
  const items = opts.items ?? fixtureItems(opts.clock.now(), writeThumb());
  const text = new LexicalEncoder({ dim: 256 });
  text.fit(items.map(itemText));
  return createApp({
    config,
    logger,
    store: opts.store,
    seedItems: items,
    textEncoder: text,
    clock: opts.clock,
    digest: { intervalMs: 0, ...opts.digest },
    ...(opts.role ? { role: opts.role } : {}),
    ...(opts.sources ? { sources: opts.sources } : {}),
  });
}
