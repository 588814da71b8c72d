/**
 * `npm run bench:delivery [-- --mode burst|open --layout cards|compact --users 300 --count 5 --rate 200 --seconds 10 --baseline DIR --json out.json]`
 *
 * Delivery through `npm start` (`bots/main.ts` as a child process, SQLite in a temporary DATA_DIR, the built-in
 * catalog) against the fake Bot API of tests/helpers/fake-telegram.ts on 127.0.0.1, every user a new private
 * chat sending `/recommend <count>`:
 *
 * - `burst`: the fake enforces Telegram's flood limits (TELEGRAM_LIMITS: 30 messages/s overall, 1/s per chat with
 *   a burst of 3, 20/min per group; 429 with retry_after above them); `--users` requests arrive at once. Reports
 *   the time from a user's request to their FIRST and LAST item message (p50, p99), the run's messages/s and the
 *   429s the fake had to answer.
 * - `open`: limits lifted on both sides (the fake answers everything; the bot gets TELEGRAM_MAX_PER_SECOND=0,
 *   TELEGRAM_CHAT_INTERVAL_MS=0, TELEGRAM_GROUP_PER_MINUTE=0); requests arrive at `--rate` per second for
 *   `--seconds` (open loop). Reports completed lists per second and the time to the first message (p50, p99).
 *
 * `--layout compact` starts the bot with LAYOUT_DEFAULT=compact: a list is one numbered message with a row of
 * buttons per item (done when it arrives) instead of a header and `--count` cards.
 *
 * `--baseline DIR` runs DIR's `bots/main.ts` (another checkout, e.g. main) first, in the same run, on the same
 * fake settings, and prints both side by side with the ratios. `--cpu-prof DIR` writes the bot's V8 CPU profile
 * there (open it in Chrome DevTools, or summarise it with `npx tsx scripts/bench/cpuprofile-top.ts FILE`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  TELEGRAM_LIMITS,
  privateChat,
  startFakeTelegram,
  user,
  type FakeTelegram,
} from '../../tests/helpers/fake-telegram.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'burst' },
    layout: { type: 'string', default: 'cards' },
    users: { type: 'string', default: '300' },
    count: { type: 'string', default: '5' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    baseline: { type: 'string' },
    json: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const MODE = values.mode === 'open' ? 'open' : 'burst';
const COUNT = Number(values.count);
const LAYOUT = values.layout === 'compact' ? 'compact' : 'cards';
/** Messages with buttons that make one list: each card has its own; a compact list is one message. */
const ITEM_MESSAGES = LAYOUT === 'compact' ? 1 : COUNT;

interface Result {
  label: string;
  requests: number;
  completed: number;
  wallSeconds: number;
  listsPerSecond: number;
  messagesPerSecond: number;
  firstP50: number;
  firstP99: number;
  lastP50: number;
  lastP99: number;
  floodRefusals: number;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function hasButtons(payload: Record<string, unknown>): boolean {
  const m = payload.reply_markup as { inline_keyboard?: unknown[][] } | undefined;
  return (m?.inline_keyboard?.length ?? 0) > 0;
}

async function startBot(
  dir: string,
  fake: FakeTelegram,
  dataDir: string,
  lifted: boolean,
): Promise<{ child: ChildProcess; stderr: () => string }> {
  const prof = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof'])] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'bots/main.ts'], {
    cwd: dir,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      TELEGRAM_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      DISCORD_TOKEN: '',
      REDIS_URL: '',
      BOT_MODE: 'telegram',
      LAYOUT_DEFAULT: LAYOUT,
      SCRAPE_INTERVAL_MINUTES: '0',
      RETRAIN_INTERVAL_HOURS: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      ...(lifted
        ? { TELEGRAM_MAX_PER_SECOND: '0', TELEGRAM_CHAT_INTERVAL_MS: '0', TELEGRAM_GROUP_PER_MINUTE: '0' }
        : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-40000);
  });
  child.on('exit', (code) => {
    if (code && code !== 0) process.stderr.write(`bot exited with ${code}: ${err}\n`);
  });
  await fake.waitForCall('getUpdates', 1, 180_000);
  return { child, stderr: () => err };
}

async function run(label: string, dir: string): Promise<Result> {
  const lifted = MODE === 'open';
  const fake = await startFakeTelegram(undefined, lifted ? {} : { limits: TELEGRAM_LIMITS });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-delivery-'));
  const { child, stderr } = await startBot(dir, fake, dataDir, lifted);
  try {
    const pushedAt = new Map<number, number>();
    const first = new Map<number, number>();
    const items = new Map<number, number>();
    const last = new Map<number, number>();
    let messages = 0;
    let done = 0;
    let onDone: (() => void) | undefined;
    let expected = 0;
    fake.onCall((c) => {
      if ((c.method !== 'sendMessage' && c.method !== 'sendPhoto') || !c.ok) return;
      const chat = Number(c.payload.chat_id);
      if (!pushedAt.has(chat)) return;
      messages++;
      if (!first.has(chat)) first.set(chat, c.at);
      if (!hasButtons(c.payload)) return;
      const n = (items.get(chat) ?? 0) + 1;
      items.set(chat, n);
      if (n === ITEM_MESSAGES) {
        last.set(chat, c.at);
        done++;
        if (done === expected) onDone?.();
      }
    });
    const ask = (id: number) => {
      const u = user(id, `u${id}`);
      pushedAt.set(id, Date.now());
      fake.pushMessage({ from: u, chat: privateChat(u), text: `/recommend ${COUNT}` });
    };
    // Warm-up: one list end to end (JIT, first store writes) before measuring.
    expected = 1;
    const warm = new Promise<void>((r) => (onDone = r));
    ask(9_000_000);
    await warm;
    pushedAt.clear();
    first.clear();
    items.clear();
    last.clear();
    messages = 0;
    done = 0;

    const requests = MODE === 'burst' ? Number(values.users) : Number(values.rate) * Number(values.seconds);
    expected = requests;
    const all = new Promise<void>((r) => (onDone = r));
    const start = Date.now();
    if (MODE === 'burst') {
      for (let i = 0; i < requests; i++) ask(10_000 + i);
    } else {
      const rate = Number(values.rate);
      let sent = 0;
      await new Promise<void>((r) => {
        const timer = setInterval(() => {
          const due = Math.min(requests, Math.floor(((Date.now() - start) / 1000) * rate));
          while (sent < due) ask(10_000 + sent++);
          if (sent >= requests) {
            clearInterval(timer);
            r();
          }
        }, 5);
      });
    }
    // Lists that never complete (a send that failed for good) must not hold the run: stop after 60 s
    // without any list completing (or 10 min in all).
    let lastDone = done;
    let lastProgress = Date.now();
    const stalled = new Promise<void>((r) => {
      const timer = setInterval(() => {
        if (done !== lastDone) {
          lastDone = done;
          lastProgress = Date.now();
        }
        if (Date.now() - lastProgress > 60_000 || Date.now() - start > 600_000) {
          clearInterval(timer);
          r();
        }
      }, 1000);
      timer.unref();
      void all.then(() => clearInterval(timer));
    });
    await Promise.race([all, stalled]);
    // Lists that did not complete: what the user got, and the bot's last warnings (a list lost is a bug to chase).
    const incomplete = [...pushedAt.keys()].filter((chat) => !last.has(chat));
    if (incomplete.length > 0) {
      const shown = incomplete.slice(0, 5).map((chat) => `chat ${chat}: ${items.get(chat) ?? 0} of ${ITEM_MESSAGES}`);
      process.stderr.write(`${label}: ${incomplete.length} list(s) incomplete (${shown.join('; ')})\n`);
      const calls = fake.calls.filter((c) => incomplete.includes(Number(c.payload.chat_id)));
      for (const c of calls.slice(0, 20))
        process.stderr.write(`  ${c.method} ok=${c.ok} ${JSON.stringify(c.payload).slice(0, 160)}\n`);
      process.stderr.write(
        `bot errors:\n${stderr()
          .split('\n')
          .filter((l) => /"level":(50|60)/.test(l))
          .join('\n')
          .slice(0, 6000)}\n`,
      );
    }
    const end = Math.max(...[...last.values()], start);
    const firsts = [...first.entries()].map(([chat, at]) => (at - pushedAt.get(chat)!) / 1000);
    const lasts = [...last.entries()].map(([chat, at]) => (at - pushedAt.get(chat)!) / 1000);
    const wall = (end - start) / 1000;
    return {
      label,
      requests,
      completed: done,
      wallSeconds: wall,
      listsPerSecond: done / wall,
      messagesPerSecond: messages / wall,
      firstP50: pct(firsts, 50),
      firstP99: pct(firsts, 99),
      lastP50: pct(lasts, 50),
      lastP99: pct(lasts, 99),
      floodRefusals: fake.floodRefusals,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
if (values.baseline) results.push(await run(`baseline (${values.baseline})`, resolve(values.baseline)));
results.push(await run('this checkout', process.cwd()));

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(
  `bench:delivery mode=${MODE} layout=${LAYOUT} count=${COUNT} ${MODE === 'burst' ? `users=${values.users}` : `rate=${values.rate}/s seconds=${values.seconds}`} ` +
    `(${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${new Date().toISOString()})`,
);
console.log('run | done/asked | wall s | lists/s | msgs/s | first p50 | first p99 | last p50 | last p99 | 429s');
for (const r of results)
  console.log(
    `${r.label} | ${r.completed}/${r.requests} | ${f(r.wallSeconds, 1)} | ${f(r.listsPerSecond, 1)} | ${f(r.messagesPerSecond, 1)} | ` +
      `${f(r.firstP50)} s | ${f(r.firstP99)} s | ${f(r.lastP50)} s | ${f(r.lastP99)} s | ${r.floodRefusals}`,
  );
if (results.length === 2) {
  const [a, b] = results as [Result, Result];
  console.log(
    `ratio (baseline / this): last p50 ${f(a.lastP50 / b.lastP50)}×, last p99 ${f(a.lastP99 / b.lastP99)}×, ` +
      `first p99 ${f(a.firstP99 / b.firstP99)}×, lists/s ${f(b.listsPerSecond / a.listsPerSecond)}× (this / baseline)`,
  );
}
if (values.json)
  writeFileSync(values.json, JSON.stringify({ mode: MODE, layout: LAYOUT, count: COUNT, results }, null, 2));
process.exit(0);
