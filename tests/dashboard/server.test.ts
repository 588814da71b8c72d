import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../core/config.js';
import { isRecoError } from '../../core/errors.js';
import { liveStats } from '../../dashboard/live.js';
import { accessPolicy, isLoopbackHost } from '../../dashboard/security.js';
import { createDashboard, startDashboard } from '../../dashboard/server.js';
import type { App } from '../../app/compose.js';
import { HAND_RECS, HAND_TEST, seedLiveBot, writeHandRun } from './fixtures.js';

const TOKEN = 'correct-horse-battery-staple';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dash-server-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const config = (env: Record<string, string> = {}) => defaultConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', ...env });

describe('dashboard access policy', () => {
  it('GIVEN loopback names and addresses THEN they are loopback; others are not', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', 'app.localhost'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.com', '127.0.0.1.nip.io', ''])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it('GIVEN a non-loopback bind address without a token THEN start-up is refused with CONFIG_INVALID naming DASHBOARD_TOKEN', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.5']) {
      let error: unknown;
      try {
        accessPolicy(host, undefined);
      } catch (e) {
        error = e;
      }
      expect(isRecoError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(/DASHBOARD_TOKEN/);
    }
    await expect(startDashboard({ config: config({ DASHBOARD_HOST: '0.0.0.0' }), port: 0 })).rejects.toThrow(
      /DASHBOARD_TOKEN/,
    );
    expect(() => accessPolicy('0.0.0.0', 'short')).toThrow(/at least 16/);
    expect(accessPolicy('0.0.0.0', TOKEN)).toMatchObject({ loopback: false, token: TOKEN });
    expect(accessPolicy('127.0.0.1', undefined)).toMatchObject({ loopback: true, token: undefined });
  });

  it('GIVEN a dashboard bound to 0.0.0.0 with a token THEN every request needs it (header, or the cookie set by ?token=)', async () => {
    const { app } = createDashboard({ config: config({ DASHBOARD_HOST: '0.0.0.0', DASHBOARD_TOKEN: TOKEN }) });
    const host = { host: 'dashboard.example:8787' };
    expect((await app.request('/api/runs', { headers: host })).status).toBe(401);
    expect((await app.request('/', { headers: host })).status).toBe(401);
    expect(
      (await app.request('/api/runs', { headers: { ...host, authorization: 'Bearer wrong-token-of-some-length' } }))
        .status,
    ).toBe(401);
    expect((await app.request('/api/runs', { headers: { ...host, authorization: `Bearer ${TOKEN}` } })).status).toBe(
      200,
    );
    const login = await app.request(`/?token=${TOKEN}`, { headers: host });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const page = await app.request('/', { headers: { ...host, cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>DEEP-RECO dashboard</title>');
  });

  it('GIVEN a real server on 127.0.0.1 THEN a token, once set, is enforced over HTTP; without one a foreign Host and cross-site writes are refused', async () => {
    const secured = await startDashboard({ config: config({ DASHBOARD_TOKEN: TOKEN }), port: 0 });
    const open = await startDashboard({ config: config(), port: 0 });
    try {
      expect(secured.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((await fetch(`${secured.url}api/meta`)).status).toBe(401);
      expect((await fetch(`${secured.url}api/meta`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
        200,
      );
      expect((await fetch(`${open.url}api/meta`)).status).toBe(200);
      // DNS rebinding: a page on another name that resolves to 127.0.0.1 is refused.
      // (node:http, because fetch may not set Host)
      expect(await statusWithHost(`${open.url}api/meta`, 'attacker.example')).toBe(403);
      expect(await statusWithHost(`${open.url}api/meta`, `localhost:${open.port}`)).toBe(200);
      // A cross-site form post cannot add the dashboard's header.
      const form = new FormData();
      form.set('recommendations', new Blob([HAND_RECS]), 'r.csv');
      expect((await fetch(`${open.url}api/upload`, { method: 'POST', body: form })).status).toBe(403);
    } finally {
      await secured.close();
      await open.close();
    }
  });
});

describe('dashboard API', () => {
  it('GIVEN runs on disk THEN list, compare, popularity and upload answer; bad input answers 400/404/413, never 500', async () => {
    const runs = path.join(dir, 'api-experiments');
    const id = await writeHandRun(runs);
    const { app } = createDashboard({ config: config({ DASHBOARD_UPLOAD_MAX_MB: '0.01' }), experimentsDir: runs });
    const h = { host: '127.0.0.1', 'x-deep-reco-dashboard': '1' };
    const list = (await (await app.request('/api/runs', { headers: h })).json()) as {
      runs: { id: string; best: { model: string } }[];
    };
    expect(list.runs.map((r) => r.id)).toEqual([id]);
    expect(list.runs[0]!.best.model).toBe('ease');
    const cmp = (await (await app.request(`/api/compare?runs=${id}`, { headers: h })).json()) as { rows: unknown[] };
    expect(cmp.rows).toHaveLength(3);
    expect((await app.request('/api/compare?runs=nope', { headers: h })).status).toBe(404);
    expect((await app.request(`/api/runs/${id}/popularity?k=2`, { headers: h })).status).toBe(200);
    expect((await app.request(`/api/runs/${id}/distribution`, { headers: h })).status).toBe(404);
    expect((await app.request(`/api/rerank?run=${id}`, { headers: h })).status).toBe(404);
    expect((await app.request('/api/live', { headers: h })).status).toBe(404);

    const post = (files: Record<string, string>, fields: Record<string, string> = {}) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(files)) form.set(k, new Blob([v]), `${k}.csv`);
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      return app.request('/api/upload', { method: 'POST', body: form, headers: h });
    };
    const ok = await post({ recommendations: HAND_RECS, test: HAND_TEST }, { ks: '3', model: 'mine' });
    expect(ok.status).toBe(200);
    const bad = await post({ recommendations: 'user,item,rank\nu1,a,1\nu1,b,x\n', test: HAND_TEST }, { ks: '3' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ line: 3, file: 'recommendations.csv' });
    expect((await post({ test: HAND_TEST })).status).toBe(400);
    const huge = await post({ recommendations: `user,item,rank\n${'u1,a,1\n'.repeat(3000)}`, test: HAND_TEST });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: string }).error).toMatch(/DASHBOARD_UPLOAD_MAX_MB/);
    // The stored upload is a run like any other.
    const after = (await (await app.request('/api/runs', { headers: h })).json()) as { runs: { kind: string }[] };
    expect(after.runs.map((r) => r.kind).sort()).toEqual(['eval', 'upload']);
  });
});

describe('dashboard live aggregates', () => {
  let app: App;
  let twoTowerDir: string;
  beforeAll(async () => {
    twoTowerDir = path.join(dir, 'two-tower');
    app = (await seedLiveBot({ twoTowerDir })).app;
  });
  afterAll(async () => app.close());

  it('GIVEN a store seeded through the real services THEN the counts and rates are exact and carry no personal data by default', async () => {
    const s = await liveStats({
      store: app.store,
      twoTowerDir,
      personal: false,
      now: new Date('2026-11-26T00:00:00Z'),
    });
    expect(s.users).toMatchObject({ total: 3, withFeedback: 2, byPlatform: { console: 1, discord: 1, telegram: 1 } });
    expect(s.reactionsPerDay).toEqual([
      { day: '2026-11-24', like: 2, dislike: 0, undo: 0 },
      { day: '2026-11-25', like: 1, dislike: 1, undo: 0 },
    ]);
    expect(s.likeRate.overall).toMatchObject({ likes: 3, dislikes: 1, rate: 0.75 });
    expect(s.impressions).toMatchObject({ lists: 3, shown: 15, reacted: 4 });
    expect(s.impressions.rate).toBeCloseTo(4 / 15, 10);
    expect(s.coverage.shown).toBeGreaterThan(0);
    expect(s.coverage.shown).toBeLessThanOrEqual(15);
    expect(s.models).toEqual([
      expect.objectContaining({ version: 'v20261123-101500-000', bestValidNdcg: 0.2345, epochs: 3, active: false }),
    ]);
    expect(s.sources.map((x) => [x.source, x.status])).toEqual([
      ['instagram', 'failing'],
      ['youtube', 'ok'],
    ]);
    const json = JSON.stringify(s);
    const ids = [];
    for await (const k of app.store.keys('users')) ids.push(k);
    for (const secret of [...ids, 'alice', '1234567890', 'football', 'ramen']) expect(json).not.toContain(secret);
    expect(s.perUser).toBeUndefined();

    const mine = await liveStats({ store: app.store, twoTowerDir, personal: true });
    expect(mine.perUser!.map((u) => u.id).sort()).toEqual(ids.sort());
    expect(JSON.stringify(mine)).not.toContain('football'); // message text never, even with personal data on
  });
});
