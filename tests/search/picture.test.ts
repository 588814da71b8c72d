/**
 * Search by picture end to end, through the real clients on the fake servers and the real console, with the tiny
 * generated CLIP model (models/fixtures/make-tiny-models.ts) as the image encoder: the catalog's thumbnails are
 * embedded by it at start-up, and a picture a person sends is read at the edge (Telegram getFile + file download,
 * a Discord attachment from the CDN URL in the interaction's resolved data, a console file path), prepared like a
 * thumbnail and encoded by the same model. The pictures are distinct colour patterns; the person sends a resized
 * copy of one item's thumbnail, so the item that must come first is known independently of the ranking code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app/compose.js';
import { defaultConfig } from '../../core/config.js';
import type { ContentItem, MessageRef } from '../../core/domain.js';
import { itemText } from '../../core/catalog/catalog.js';
import { LexicalEncoder } from '../../core/lexical.js';
import { silentLogger } from '../../core/ports.js';
import { ClipImageEncoder } from '../../models/clip.js';
import { OrtRuntime } from '../../models/runtime.js';
import { runConsole } from '../../bots/console/index.js';
import { startTelegram, type TelegramHandle } from '../../bots/telegram/index.js';
import { pictureFile } from '../../bots/telegram/composers/picture.js';
import { NS_MESSAGES } from '../../core/store/namespaces.js';
import { messageKey } from '../../core/users/doc.js';
import {
  privateChat,
  startFakeTelegram,
  user,
  type FakeTelegram,
  type RecordedCall,
} from '../helpers/fake-telegram.js';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { FAST_LIMITS } from '../helpers/telegram-harness.js';
import { TestClock } from '../helpers/telegram-app.js';
import { startBot as startDiscordBot, nextEvent, type Bot } from '../discord/harness.js';
import { runCommand } from '../discord/flows.js';
import { tinyModels } from '../models/helpers.js';

const NOW = new Date('2026-11-26T00:00:00Z');
const DIR = join('tests/.tmp', `picture-${process.pid}`);

/** Eight colour patterns: two colours, split vertically, horizontally or in quadrants. */
const PATTERNS: { id: string; a: [number, number, number]; b: [number, number, number]; split: 'v' | 'h' | 'q' }[] = [
  { id: 'p1', a: [230, 30, 30], b: [250, 240, 240], split: 'v' },
  { id: 'p2', a: [20, 40, 220], b: [240, 220, 20], split: 'h' },
  { id: 'p3', a: [20, 180, 60], b: [10, 10, 10], split: 'q' },
  { id: 'p4', a: [250, 140, 0], b: [0, 120, 140], split: 'v' },
  { id: 'p5', a: [120, 0, 160], b: [200, 200, 200], split: 'h' },
  { id: 'p6', a: [0, 0, 0], b: [255, 255, 255], split: 'q' },
  { id: 'p7', a: [160, 110, 60], b: [60, 160, 220], split: 'h' },
  { id: 'p8', a: [255, 0, 200], b: [0, 255, 200], split: 'v' },
];

async function patternPng(p: (typeof PATTERNS)[number], width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const first =
        p.split === 'v' ? x < width / 2 : p.split === 'h' ? y < height / 2 : x < width / 2 === y < height / 2;
      const c = first ? p.a : p.b;
      raw.set(c, (y * width + x) * 3);
    }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

const CATEGORIES = ['sports', 'tech', 'food', 'games', 'music', 'travel', 'fashion', 'science'] as const;

async function catalog(): Promise<ContentItem[]> {
  mkdirSync(DIR, { recursive: true });
  return Promise.all(
    PATTERNS.map(async (p, k) => {
      const file = join(DIR, `${p.id}.png`);
      writeFileSync(file, await patternPng(p, 320, 240));
      const url = `https://example.com/${p.id}`;
      return {
        id: p.id,
        url,
        canonicalUrl: url,
        title: `Item ${p.id} ${k % 2 ? 'red sneakers' : 'ramen bowl'}`,
        summary: `pattern ${p.split}`,
        category: CATEGORIES[k]!,
        source: `rss:shop${k}`,
        lang: 'en' as const,
        thumbnail: file,
        publishedAt: new Date(NOW.getTime() - k * 3_600_000).toISOString(),
        fetchedAt: NOW.toISOString(),
        popularity: { views: 1000 * (k + 1) },
        tags: [],
      };
    }),
  );
}

let tiny: ReturnType<typeof tinyModels>;
let runtime: OrtRuntime;
let clip: ClipImageEncoder;
let items: ContentItem[];

async function makeApp(env: Record<string, string> = {}, withImages = true): Promise<App> {
  const text = new LexicalEncoder({ dim: 64 });
  text.fit(items.map(itemText));
  return createApp({
    config: defaultConfig({ LOG_LEVEL: 'silent', SCRAPE_ALLOW_PRIVATE: 'true', ...env }),
    logger: silentLogger,
    memory: true,
    seedItems: items,
    textEncoder: text,
    ...(withImages ? { imageEncoder: clip } : {}),
    now: () => NOW,
    digest: { intervalMs: 0 },
  });
}

/** One console person on the real `runConsole`, a line at a time (waits for each line to be handled). */
function consoleChat(app: App, who: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  const handled = new EventEmitter();
  let out = '';
  let n = 0;
  output.setEncoding('utf8');
  output.on('data', (d: string) => (out += d));
  const done = runConsole(app, { input, output, user: who, onLineHandled: (k) => handled.emit('line', k) });
  return {
    async line(text: string): Promise<string> {
      const from = out.length;
      const k = ++n;
      const wait = nextEvent<number>(handled, 'line', (x) => x === k);
      input.write(`${text}\n`);
      await wait;
      return out.slice(from);
    },
    async end() {
      input.end();
      await done;
    },
  };
}

/** The items of the person's last list in a chat, in order (the store's record of what was shown). */
async function lastList(app: App, platform: 'console' | 'telegram' | 'discord', who: string, chat: string) {
  const id = await app.core.users.findUserId(platform, who);
  const doc = id ? await app.core.users.get(id) : undefined;
  return doc?.lastLists[`${platform}:${chat}`]?.itemIds ?? [];
}

beforeAll(async () => {
  tiny = tinyModels('picture');
  runtime = new OrtRuntime({ device: 'cpu', probe: { cudaProviderLibrary: () => undefined, gpuVisible: () => false } });
  clip = await ClipImageEncoder.load({ modelDir: tiny.clip.dir, name: tiny.clip.name, runtime, batchSize: 4 });
  items = await catalog();
}, 120_000);

afterAll(async () => {
  await runtime?.release();
  tiny?.cleanup();
});

describe('search by picture — console', () => {
  let app: App;
  let chat: ReturnType<typeof consoleChat>;
  beforeAll(async () => {
    app = await makeApp();
    chat = consoleChat(app, 'alice');
  }, 120_000);
  afterAll(async () => {
    await chat?.end();
    await app?.close();
  });

  it('GIVEN a resized copy of an item thumbnail THEN that item comes first, under the picture header', async () => {
    expect(app.core.images.available).toBe(true);
    for (const target of ['p3', 'p6']) {
      const file = join(DIR, `query-${target}.jpg`);
      const png = await patternPng(
        PATTERNS.find((p) => p.id === target)!,
        500,
        375,
      );
      writeFileSync(file, await sharp(png).jpeg({ quality: 90 }).toBuffer());
      const out = await chat.line(`/image ${file}`);
      expect(out).toContain('Items that look like your picture');
      const list = await lastList(app, 'console', 'alice', 'console');
      expect(list.length).toBeGreaterThanOrEqual(3);
      expect(list[0]).toBe(target);
    }
  });

  it('GIVEN a muted source THEN its look-alike item is never in the picture results (hard filters hold)', async () => {
    const file = join(DIR, 'query-p3.jpg');
    const p3 = items.find((i) => i.id === 'p3')!;
    expect(await chat.line(`/mute source:${p3.source}`)).toMatch(/Muted source/);
    await chat.line(`/image ${file} ramen`);
    const list = await lastList(app, 'console', 'alice', 'console');
    expect(list.length).toBeGreaterThanOrEqual(3);
    expect(list).not.toContain('p3');
    await chat.line(`/unmute source:${p3.source}`);
  });

  it('GIVEN a file that is not a picture, or too large THEN a clear answer and no list', async () => {
    const text = join(DIR, 'notes.txt');
    writeFileSync(text, 'hello, not an image');
    expect(await chat.line(`/image ${text}`)).toContain("doesn't look like a picture");
    const big = join(DIR, 'big.bin');
    writeFileSync(big, Buffer.alloc(app.userImages.maxBytes + 1, 1));
    expect(await chat.line(`/image ${big}`)).toMatch(/too large \(at most \d/);
    expect(await chat.line(`/image ${join(DIR, 'missing.png')}`)).toContain("couldn't fetch that picture");
  });
});

describe('search by picture — without an image model', () => {
  it('GIVEN no image encoder THEN the person is told so, in their language', async () => {
    const app = await makeApp({}, false);
    const chat = consoleChat(app, 'bob');
    try {
      expect(app.core.images.available).toBe(false);
      expect(await chat.line(`/image ${join(DIR, 'p1.png')}`)).toContain('no image model is installed');
    } finally {
      await chat.end();
      await app.close();
    }
  });
});

describe('search by picture — Telegram photo', () => {
  let fake: FakeTelegram;
  let app: App;
  let tg: TelegramHandle;
  const done = new Set<number>();
  const events = new EventEmitter();
  const handled = (id: number) =>
    done.has(id) ? Promise.resolve() : nextEvent<number>(events, 'handled', (x) => x === id).then(() => undefined);
  beforeAll(async () => {
    fake = await startFakeTelegram();
    app = await makeApp({ TELEGRAM_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot });
    tg = await startTelegram(app, {
      clock: new TestClock(NOW),
      limits: FAST_LIMITS,
      pollTimeoutSeconds: 10,
      onUpdateHandled: (id) => {
        done.add(id);
        events.emit('handled', id);
      },
    });
  }, 120_000);
  afterAll(async () => {
    await tg?.stop();
    await app?.close();
    await fake?.close();
  });

  it('GIVEN a photo (several sizes) with a caption in a private chat THEN getFile, the download, and a list led by the look-alike', async () => {
    const alice = user(5151, 'Alice');
    const chat = privateChat(alice);
    const target = PATTERNS.find((p) => p.id === 'p2')!;
    const sizes = await Promise.all(
      [
        [90, 68],
        [320, 240],
        [800, 600],
      ].map(async ([w, h]) => ({
        bytes: await sharp(await patternPng(target, w!, h!))
          .jpeg({ quality: 85 })
          .toBuffer(),
        width: w!,
        height: h!,
      })),
    );
    const before = fake.calls.length;
    const id = fake.pushPhoto({ from: alice, chat, sizes, caption: 'something like this' });
    await handled(id);
    const calls: RecordedCall[] = fake.calls.slice(before);
    // One file read through the Bot API (getFile), then the download from the file endpoint.
    expect(calls.filter((c) => c.method === 'getFile' && c.ok)).toHaveLength(1);
    expect(
      calls.some((c) => c.method === 'sendMessage' && String(c.payload.text).includes('look like your picture')),
    ).toBe(true);
    const list = await lastList(app, 'telegram', String(alice.id), String(chat.id));
    expect(list[0]).toBe('p2');
    // Every item message is mapped to its item (reactions work on picture results as on any list).
    const sent = calls.filter((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && c.ok);
    const mapped = await Promise.all(
      sent.map((c) =>
        app.store.get<MessageRef>(
          NS_MESSAGES,
          messageKey('telegram', String(chat.id), String((c.result as { message_id: number }).message_id)),
        ),
      ),
    );
    expect(mapped.filter(Boolean).flatMap((m) => m!.itemIds)).toEqual(expect.arrayContaining([list[0]!]));
  });
});

describe('search by picture — Discord /image attachment', () => {
  let fake: FakeDiscord;
  let bot: Bot;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
    const app = await makeApp({
      DISCORD_TOKEN: fake.token,
      DISCORD_API_BASE: fake.apiBase,
      DISCORD_APPLICATION_ID: fake.appId,
      DISCORD_GUILD_ID: fake.guildId,
    });
    bot = await startDiscordBot(fake, { app });
  }, 120_000);
  afterAll(async () => {
    await bot?.stop();
    await bot?.app.close();
    await fake?.close();
  });

  it('GIVEN /image with an attached picture THEN the CDN file is read and the look-alike item leads the list', async () => {
    const target = PATTERNS.find((p) => p.id === 'p5')!;
    const png = await patternPng(target, 640, 480);
    const attachment = fake.attachment('photo.png', png, 'image/png');
    const run = await runCommand(bot, {
      name: 'image',
      user: fake.users.alice,
      options: [{ name: 'picture', type: 11, value: attachment.id }],
      resolved: { attachments: { [attachment.id]: attachment } },
    });
    expect(bot.fake.requests.some((r) => r.method === 'GET' && r.path.startsWith('/attachments/'))).toBe(true);
    expect(
      run.requests.some((r) => String((r.body as { content?: string })?.content ?? '').includes('look like')),
    ).toBe(true);
    const list = await lastList(bot.app, 'discord', fake.users.alice.id, fake.textChannel.id);
    expect(list[0]).toBe('p5');
  });

  it('GIVEN an attachment that is not an image THEN an ephemeral refusal and nothing downloaded', async () => {
    const from = fake.mark();
    const attachment = fake.attachment('doc.pdf', '%PDF-1.4', 'application/pdf');
    const run = await runCommand(bot, {
      name: 'image',
      user: fake.users.alice,
      options: [{ name: 'picture', type: 11, value: attachment.id }],
      resolved: { attachments: { [attachment.id]: attachment } },
    });
    const cb = run.requests.find((r) => r.path.endsWith('/callback'));
    expect(String((cb?.body as { data?: { content?: string } }).data?.content)).toContain(
      "doesn't look like a picture",
    );
    expect(fake.requests.slice(from).some((r) => r.path.startsWith('/attachments/'))).toBe(false);
  });
});

describe('pictureFile (which Telegram file is read)', () => {
  const size = (w: number, bytes: number) => ({
    file_id: `f${w}`,
    file_unique_id: `u${w}`,
    width: w,
    height: w,
    file_size: bytes,
  });
  it('GIVEN photo sizes THEN the largest within the byte limit; GIVEN an image document THEN it; GIVEN a PDF THEN none', () => {
    expect(pictureFile({ photo: [size(90, 2_000), size(320, 30_000), size(1280, 900_000)] }, 1_000_000)?.fileId).toBe(
      'f1280',
    );
    expect(pictureFile({ photo: [size(90, 2_000), size(320, 30_000), size(1280, 900_000)] }, 100_000)?.fileId).toBe(
      'f320',
    );
    expect(pictureFile({ document: { file_id: 'd1', file_unique_id: 'x', mime_type: 'image/webp' } }, 10)?.fileId).toBe(
      'd1',
    );
    expect(
      pictureFile({ document: { file_id: 'd2', file_unique_id: 'y', mime_type: 'application/pdf' } }, 10),
    ).toBeUndefined();
  });
});
