/**
 * `npm run bench:digests [-- --subscribers 10000 --window 30 --size 6 --layout auto --lead 10 --json out.json]`
 *
 * N digest subscribers sharing one slot, through the composition root (the app's digest jobs: scan, plan
 * ahead, spread, send) against the fake Telegram Bot API on 127.0.0.1 enforcing Telegram's limits
 * (tests/helpers/fake-telegram.ts `TELEGRAM_LIMITS`: ~30 messages/s overall, ~1/s per chat with short bursts,
 * 429 `retry_after` past them). Real time: the slot is `--lead` minutes after the subscribers are set up,
 * planning starts at once (DIGEST_PLAN_AHEAD_MINUTES), sending at the slot; the run ends when every chat has
 * its digest or the window (plus 5 minutes) has passed.
 *
 * Scripts may not use a chat adapter (layer rule), so the list sender here is a small Bot API client made
 * for this benchmark: grammY's throttler defaults (30 per second overall, 350 ms apart per chat), 429
 * `retry_after` honoured (auto-retry), HTML text, and for the compact layout one numbered message standing
 * in for the adapter's compact renderer (issue 15: built by the presentation helper). What is measured is
 * the digest side: planning throughput, the spread and the delivery time under the limits. Interactive
 * latency next to a digest slot needs the outbox and is measured with it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../../app/compose.js';
import { defaultConfig } from '../../core/config.js';
import {
  DIGEST_RATE_PER_SECOND,
  DeliveryError,
  chatKeyOf,
  type DigestChat,
  type DigestSender,
} from '../../core/digest/index.js';
import { silentLogger } from '../../core/ports.js';
import type { DeliveryTarget, ListItemView, ListToSend } from '../../core/recommend/delivery.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { TELEGRAM_LIMITS, startFakeTelegram } from '../../tests/helpers/fake-telegram.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '10000' },
    window: { type: 'string', default: '30' },
    size: { type: 'string', default: '6' },
    layout: { type: 'string', default: 'auto' },
    lead: { type: 'string', default: '10' },
    json: { type: 'string' },
  },
});
const N = Number(values.subscribers);
const WINDOW = Number(values.window);
const SIZE = Number(values.size);
const LEAD = Number(values.lead);

/** A minimal Bot API list sender with grammY's throttler defaults and auto-retry on 429. */
class BenchSender implements DigestSender {
  readonly platform = 'telegram' as const;
  readonly done = new Map<string, number>();
  readonly firstAt = new Map<string, number>();
  readonly completedAt = new Map<string, number>();
  sentMessages = 0;
  retried429 = 0;
  private windowStart = 0;
  private inWindow = 0;
  private readonly lastPerChat = new Map<string, number>();
  constructor(
    private readonly apiRoot: string,
    private readonly token: string,
    private readonly expected: (chatId: string) => number,
  ) {}

  async sendHeader(t: DeliveryTarget, list: ListToSend) {
    return this.send(t.chatId, `<b>${esc(list.header)}</b>`);
  }
  async sendItem(t: DeliveryTarget, v: ListItemView) {
    return this.send(t.chatId, `${v.header ? `<b>${esc(v.header)}</b>\n` : ''}${v.position}. ${itemLine(v)}`);
  }
  async sendCompact(t: DeliveryTarget, list: ListToSend) {
    const sent = await this.send(
      t.chatId,
      [`<b>${esc(list.header)}</b>`, ...list.items.map((v) => `${v.position}. ${itemLine(v)}`)].join('\n'),
    );
    return list.items.map(() => sent);
  }

  private async send(chatId: string, text: string): Promise<{ messageIds: string[] }> {
    for (let attempt = 0; ; attempt++) {
      await this.throttle(chatId);
      const res = await fetch(`${this.apiRoot}/bot${this.token}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: chatId, text, parse_mode: 'HTML' }),
      }).catch((e: unknown) => {
        throw new DeliveryError('ambiguous', (e as Error).message, { cause: e });
      });
      const body = (await res.json()) as {
        ok: boolean;
        result?: { message_id: number };
        parameters?: { retry_after?: number };
        description?: string;
      };
      if (body.ok) {
        this.sentMessages++;
        const n = (this.done.get(chatId) ?? 0) + 1;
        this.done.set(chatId, n);
        if (!this.firstAt.has(chatId)) this.firstAt.set(chatId, Date.now());
        if (n === this.expected(chatId)) this.completedAt.set(chatId, Date.now());
        return { messageIds: [String(body.result!.message_id)] };
      }
      if (res.status === 429 && attempt < 5) {
        this.retried429++;
        await sleep((body.parameters?.retry_after ?? 1) * 1000);
        continue;
      }
      throw new DeliveryError(res.status === 403 ? 'blocked' : 'rejected', body.description ?? String(res.status));
    }
  }

  /** 30 per 1000 ms overall (a reservoir, like grammY's throttler), 350 ms apart per chat. */
  private async throttle(chatId: string): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now - this.windowStart >= 1000) {
        this.windowStart = now;
        this.inWindow = 0;
      }
      const last = this.lastPerChat.get(chatId) ?? 0;
      if (this.inWindow < 30 && now - last >= 350) {
        this.inWindow++;
        this.lastPerChat.set(chatId, now);
        return;
      }
      await sleep(Math.max(5, Math.min(1000 - (now - this.windowStart), 350 - (now - last))));
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const itemLine = (v: ListItemView) => `<a href="${esc(v.item.url)}">${esc(v.item.title)}</a> — ${esc(v.explanation)}`;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function main(): Promise<void> {
  const fake = await startFakeTelegram(undefined, { limits: TELEGRAM_LIMITS });
  const dir = mkdtempSync(join(tmpdir(), 'bench-digests-'));
  const config = defaultConfig({
    DATA_DIR: dir,
    ENCODER: 'lexical',
    LOG_LEVEL: 'silent',
    DIGEST_SIZE: String(SIZE),
    DIGEST_WINDOW_MINUTES: String(WINDOW),
    DIGEST_LAYOUT: values.layout!,
    DIGEST_PLAN_AHEAD_MINUTES: '30',
    RETRAIN_INTERVAL_HOURS: '0',
    SCRAPE_INTERVAL_MINUTES: '0',
  });
  const app = await createApp({
    config,
    logger: silentLogger,
    store: new MemoryStore(),
    digest: { intervalMs: 60_000 },
  });
  try {
    const t0 = Date.now();
    const slotAt = Math.ceil((t0 + LEAD * 60_000) / 60_000) * 60_000;
    const slot = new Date(slotAt).toISOString().slice(11, 16);
    const chats: DigestChat[] = Array.from({ length: N }, (_, i) => ({
      platform: 'telegram',
      chatId: String(5_000_000 + i),
      kind: 'private',
    }));
    for (const c of chats)
      await app.digests.setSchedule(
        c,
        { enabled: true, time: slot, tz: 'UTC' },
        { platform: 'telegram', externalId: c.chatId },
        'en',
      );
    const setupS = (Date.now() - t0) / 1000;
    process.stderr.write(`${N} subscribers at ${slot} UTC set up in ${setupS.toFixed(1)} s; planning…\n`);

    let layoutOf = (_chatId: string) => 1 + SIZE;
    const sender = new BenchSender(fake.apiRoot, fake.token, (id) => layoutOf(id));
    const tPlan = Date.now();
    app.digestScheduler.register(sender); // catch-up scan now: plan jobs for every chat
    const deadline = slotAt + (WINDOW + 5) * 60_000;
    let planned = 0;
    while (Date.now() < slotAt && planned < N) {
      await sleep(2000);
      planned = (await app.digests.schedules('telegram')).filter((s) => s.pending).length;
    }
    const plannedAtSlot = planned;
    // Planning goes on after the slot when it is slower than the lead: those chats are sent as soon as planned.
    const compact =
      values.layout === 'compact' ||
      (values.layout === 'auto' && (N * (1 + SIZE)) / DIGEST_RATE_PER_SECOND / 60 > WINDOW);
    layoutOf = () => (compact ? 1 : 1 + SIZE);
    process.stderr.write(`planned ${planned}/${N} by the slot; sending from ${slot}…\n`);
    const complete = () => chats.filter((c) => (sender.done.get(c.chatId) ?? 0) >= layoutOf(c.chatId)).length;
    while (Date.now() < deadline && complete() < N) await sleep(1000);

    const runs = await Promise.all(
      chats.map((c) => app.digests.getRun(c, new Date(slotAt).toISOString().slice(0, 10))),
    );
    const layouts = new Map<string, number>();
    for (const r of runs) if (r) layouts.set(r.layout ?? 'cards', (layouts.get(r.layout ?? 'cards') ?? 0) + 1);
    const sendAt = new Map(runs.flatMap((r) => (r?.sendAt ? [[r.chatKey, Date.parse(r.sendAt)] as const] : [])));
    const plannedTimes = runs.flatMap((r) => (r ? [Date.parse(r.plannedAt)] : []));
    const planS = (Math.max(...plannedTimes) - tPlan) / 1000;
    const delays: number[] = [];
    const lateVsOwn: number[] = [];
    for (const c of chats) {
      const first = sender.firstAt.get(c.chatId);
      if (first === undefined) continue;
      delays.push((first - slotAt) / 1000);
      const own = sendAt.get(chatKeyOf(c));
      if (own !== undefined) lateVsOwn.push((first - own) / 1000);
    }
    const lastFirst = Math.max(...[...sender.firstAt.values()]);
    const lastDone = Math.max(...[...sender.completedAt.values()]);
    const spreadMinutes = Math.max(...[...sendAt.values()].map((t) => (t - slotAt) / 60_000));
    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.version}`,
      subscribers: N,
      windowMinutes: WINDOW,
      size: SIZE,
      layout: [...layouts].map(([k, v]) => `${k}:${v}`).join(','),
      spreadMinutes,
      setupSeconds: +setupS.toFixed(1),
      planSeconds: +planS.toFixed(1),
      plansPerSecond: +(plannedTimes.length / planS).toFixed(1),
      plannedBeforeSlot: plannedAtSlot,
      delivered: complete(),
      messages: sender.sentMessages,
      fake429: fake.floodRefusals,
      retried429: sender.retried429,
      firstMessageAfterSlotSeconds: {
        p50: +pct(delays, 50).toFixed(1),
        p99: +pct(delays, 99).toFixed(1),
        max: +((lastFirst - slotAt) / 1000).toFixed(1),
      },
      lateAfterOwnMinuteSeconds: { p50: +pct(lateVsOwn, 50).toFixed(1), p99: +pct(lateVsOwn, 99).toFixed(1) },
      lastDigestDoneAfterSlotSeconds: +((lastDone - slotAt) / 1000).toFixed(1),
      allWithinWindow: complete() === N && lastDone - slotAt <= WINDOW * 60_000,
      messagesPerSecond: +(sender.sentMessages / Math.max(1, (lastDone - slotAt) / 1000)).toFixed(1),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  } finally {
    await app.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
