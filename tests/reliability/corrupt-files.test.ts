/**
 * The corrupt-file matrix (docs/STORE.md "What each damaged file does"): every case gets its own clear
 * message naming DATA_DIR and the file, and the bot either refuses to start (the data cannot be trusted, or is
 * not ours) or starts with the damaged rows set aside and ONE warning naming each (namespace and key).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  closeSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app/compose.js';
import { defaultConfig } from '../../core/config.js';
import { RecoError } from '../../core/errors.js';
import type { Logger } from '../../core/ports.js';
import { NS_IDENTITIES, NS_USERS } from '../../core/store/namespaces.js';
import { openStore } from '../../infra/store/index.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../infra/store/sqlite.js';
import { topicCatalog } from '../helpers/items.js';

const tmp = mkdtempSync(join(process.cwd(), 'tests/.tmp/corrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(tmp, `d${++n}`);

async function refusal(dataDir: string): Promise<RecoError> {
  try {
    const s = await openStore({ DATA_DIR: dataDir, REDIS_URL: undefined });
    await s.close();
  } catch (e) {
    if (e instanceof RecoError) return e;
    throw e;
  }
  throw new Error('expected the store to refuse to open');
}

/** A DEEP-RECO store with `rows` user-like rows of ~1 KB, closed. */
async function populated(dataDir: string, rows = 300): Promise<string> {
  const s = await SqliteStore.open(dataDir);
  for (let i = 0; i < rows; i++) await s.set('users', `u${i}`, { text: 'x'.repeat(1000), i });
  await s.close();
  return join(dataDir, SQLITE_FILE_NAME);
}

interface Captured {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}
function capture(): { logger: Logger; lines: Captured[] } {
  const lines: Captured[] = [];
  const make = (): Logger => ({
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => void lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg: msg ?? '' }),
    error: (obj, msg) => void lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg: msg ?? '' }),
    child: () => make(),
  });
  return { logger: make(), lines };
}

describe('corrupt or foreign files: refused with a message of their own', () => {
  it('GIVEN a 0-byte database file THEN refused: "is 0 bytes", restore or delete it', async () => {
    const d = freshDir();
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, SQLITE_FILE_NAME), '');
    const e = await refusal(d);
    expect(e.code).toBe('STORE_OPEN_FAILED');
    expect(e.details.problem).toBe('empty-file');
    expect(e.message).toMatch(/is 0 bytes/);
    expect(e.message).toMatch(/Restore it from a backup, or delete it/);
    expect(e.message).toContain('DATA_DIR');
    expect(statSync(join(d, SQLITE_FILE_NAME)).size).toBe(0); // left as it was
  });

  it('GIVEN a file that is not SQLite (text, or an image) THEN refused: "is not a SQLite database", with its first bytes', async () => {
    for (const bytes of [
      Buffer.from('name,score\nalice,3\n'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    ]) {
      const d = freshDir();
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, SQLITE_FILE_NAME), bytes);
      const e = await refusal(d);
      expect(e.details.problem).toBe('not-sqlite');
      expect(e.message).toMatch(/is not a SQLite database \(it starts with "/);
    }
  });

  it("GIVEN another application's SQLite database THEN refused naming its tables, and the file is not changed", async () => {
    const d = freshDir();
    mkdirSync(d, { recursive: true });
    const path = join(d, SQLITE_FILE_NAME);
    const other = new KeyvSqlite({ uri: `sqlite://${path}`, table: 'invoices' });
    await other.query('INSERT INTO invoices (key, value) VALUES (?, ?)', 'inv-1', '{"total": 12}');
    await other.disconnect();
    const e = await refusal(d);
    expect(e.details.problem).toBe('foreign');
    expect(e.message).toMatch(/another application .*invoices/);
    const check = new KeyvSqlite({ uri: `sqlite://${path}`, table: 'invoices' });
    const tables = (await check.query(`SELECT name FROM sqlite_master WHERE type = 'table'`)) as { name: string }[];
    await check.disconnect();
    expect(tables.map((t) => t.name)).toEqual(['invoices']);
  });

  it('GIVEN a SQLite file marked with another application_id THEN refused before anything is written', async () => {
    const d = freshDir();
    mkdirSync(d, { recursive: true });
    const path = join(d, SQLITE_FILE_NAME);
    const other = new KeyvSqlite({ uri: `sqlite://${path}`, table: 'keyv' });
    await other.query('PRAGMA application_id = 1234');
    await other.disconnect();
    const e = await refusal(d);
    expect(e.details.problem).toBe('foreign');
    expect(e.message).toMatch(/application_id 0x4d2/);
  });

  it('GIVEN a damaged database (garbled pages, or cut short) THEN refused: "is damaged", with how to recover', async () => {
    for (const damage of ['garble', 'truncate'] as const) {
      const d = freshDir();
      const path = await populated(d);
      if (damage === 'garble') {
        const fd = openSync(path, 'r+');
        writeSync(fd, Buffer.alloc(8192, 0xab), 0, 8192, 4096 * 3);
        closeSync(fd);
      } else truncateSync(path, Math.floor(statSync(path).size / 2));
      const e = await refusal(d);
      expect(e.details.problem).toBe('damaged');
      expect(e.message).toMatch(/is damaged/);
      expect(e.message).toMatch(/restore it from a backup, or recover what is readable/);
    }
  });

  it('GIVEN DATA_DIR cannot be created, is a file, or holds a directory in place of the database THEN each says so', async () => {
    expect((await refusal('/proc/deep-reco-test/data')).details.problem).toBe('cannot-create-directory');
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const notDir = await refusal(file);
    expect(notDir.details.problem).toBe('not-a-directory');
    expect(notDir.message).toMatch(/is a file, not a directory/);
    const d = freshDir();
    mkdirSync(join(d, SQLITE_FILE_NAME), { recursive: true });
    expect((await refusal(d)).details.problem).toBe('not-a-file');
  });

  it('GIVEN a DATA_DIR this user cannot write THEN "is not writable by this user"', async () => {
    const restore: (() => void)[] = [];
    const d = freshDir();
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o555);
    try {
      if (process.getuid?.() !== 0) {
        const e = await refusal(d);
        expect(e.details.problem).toBe('directory-not-writable');
        expect(e.message).toMatch(/not writable by this user/);
        return;
      }
      // As root (CI containers) permissions do not apply to this process: the same open runs in a child process
      // as the unprivileged user `nobody`, for whom the directory is read-only.
      // `nobody` must reach the checkout: directories above it without search permission for others (a
      // `mktemp -d` parent is 0700) get o+x for this test and are put back afterwards.
      chmodSync(tmp, 0o755);
      for (let dir = process.cwd(); dirname(dir) !== dir; dir = dirname(dir)) {
        const mode = statSync(dir).mode & 0o7777;
        if (!(mode & 0o001)) {
          chmodSync(dir, mode | 0o001);
          restore.push(() => chmodSync(dir, mode));
        }
      }
      const code = `
        const { openStore } = await import(${JSON.stringify(join(process.cwd(), 'infra/store/index.ts'))});
        try { await openStore({ DATA_DIR: ${JSON.stringify(d)}, REDIS_URL: undefined }); console.log(JSON.stringify({ opened: true })); }
        catch (e) { console.log(JSON.stringify({ problem: e.details?.problem, message: e.message })); }`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        uid: 65534,
        gid: 65534,
        cwd: process.cwd(),
        env: { ...process.env, HOME: '/tmp' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { problem?: string; message?: string };
      expect(out.problem, r.stderr).toBe('directory-not-writable');
      expect(out.message).toMatch(/not writable by this user \(uid 65534\)/);
    } finally {
      chmodSync(d, 0o755);
      for (const undo of restore.splice(0)) undo();
    }
  });

  it('GIVEN the bot itself on a 0-byte database THEN it exits with code 3 and the message', () => {
    const d = freshDir();
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, SQLITE_FILE_NAME), '');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bots/main.ts'], {
      env: { ...process.env, DATA_DIR: d, DISCORD_TOKEN: '', TELEGRAM_TOKEN: '', REDIS_URL: '', LOG_FORMAT: 'json' },
      input: '',
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/is 0 bytes/);
  });
});

describe('damaged rows: skipped and set aside, the bot starts', () => {
  it('GIVEN unreadable rows and a user document of the wrong shape THEN the bot starts, one warning names each row, and the person carries on', async () => {
    const d = freshDir();
    const seed = await SqliteStore.open(d);
    // A real user first, then damage: a cut-short row, a foreign value, and a document of the wrong shape.
    await seed.set(NS_IDENTITIES, 'console:bob', 'u_bob');
    await seed.set(NS_USERS, 'u_bob', { user: { id: 'u_bob', identities: 'console:bob' }, persona: null });
    const q = (seed as unknown as { query: (sql: string, ...p: unknown[]) => Promise<unknown> }).query;
    await q('INSERT INTO keyv (key, value) VALUES (?, ?)', 'users:u_cut', '{"value":{"user":{"id":"u_cut"');
    await q('INSERT INTO keyv (key, value) VALUES (?, ?)', 'items:zz-broken', 'not json at all');
    await seed.close();

    const { logger, lines } = capture();
    const store = await SqliteStore.open(d, { logger });
    const now = () => new Date('2026-11-26T00:00:00Z');
    const app = await createApp({
      config: defaultConfig({ LOG_LEVEL: 'silent', DATA_DIR: d }),
      logger,
      store,
      seedItems: topicCatalog(now()),
      now,
    });
    try {
      const named = (ns: string, key: string) =>
        lines.filter(
          (l) =>
            l.level === 'warn' &&
            Array.isArray(l.obj.rows) &&
            (l.obj.rows as { namespace: string; key: string }[]).some((r) => r.namespace === ns && r.key === key),
        );
      expect(named('users', 'u_cut')).toHaveLength(1);
      expect(named('items', 'zz-broken')).toHaveLength(1);
      expect(named('users', 'u_bob')).toHaveLength(1);
      expect(named('users', 'u_bob')[0]!.msg).toMatch(
        /users:u_bob has the wrong shape \(user.identities: not a list\)/,
      );
      // Set aside, not lost: the raw rows are in the quarantine namespace.
      expect(await store.get('_quarantine', 'users:u_cut')).toMatchObject({ raw: '{"value":{"user":{"id":"u_cut"' });
      expect(await store.get('_quarantine', 'users:u_bob')).toMatchObject({ reason: 'user.identities: not a list' });
      // Bob carries on under the same id, with a fresh document.
      const bob = { platform: 'console' as const, externalId: 'bob' };
      await app.reco.message(bob, 'I like football');
      expect(await store.get(NS_IDENTITIES, 'console:bob')).toBe('u_bob');
      const doc = await app.core.users.get('u_bob');
      expect(doc?.persona.messageCount).toBe(1);
      // /forget takes the damaged copy with it.
      await app.reco.forget(bob);
      expect(await store.get('_quarantine', 'users:u_bob')).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
