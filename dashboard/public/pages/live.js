// Live bot: aggregates from the bot's store (read-only) — users, reactions per day, like rates, impressions →
// reactions, catalog coverage, two-tower versions, scraper health. Per-user rows only with DASHBOARD_PERSONAL_DATA.
import { Plot, api, chart, el, fmt, pct, ready, sortableTable } from '../lib.js';

const stat = (label, value, id) =>
  el('div', { class: 'stat', ...(id ? { 'data-stat': id } : {}) }, [
    el('b', { text: value }),
    el('span', { class: 'muted', text: label }),
  ]);

export async function render(root) {
  const meta = await api('/api/meta');
  if (!meta.store) {
    root.replaceChildren(
      el('h1', { text: 'Live bot' }),
      el('p', {
        class: 'muted',
        id: 'no-store',
        text: "No bot store is connected: start the dashboard with the bot's configuration (npm run dashboard reads the same DATA_DIR / REDIS_URL).",
      }),
    );
    ready('live');
    return;
  }
  const s = await api('/api/live');
  const rateBars = (name, caption, rows) =>
    chart(name, caption, {
      width: 440,
      height: Math.max(140, rows.length * 24 + 40),
      marginLeft: 130,
      x: { domain: [0, 1], grid: true, label: 'like rate →', tickFormat: '%' },
      y: { label: null, domain: rows.map((r) => r.key) },
      marks: [
        Plot.barX(rows, {
          y: 'key',
          x: 'rate',
          fill: '#5b8def',
          title: (r) => `${r.key}: ${pct(r.rate)} of ${r.likes + r.dislikes} reactions`,
        }),
        Plot.text(rows, {
          y: 'key',
          x: 'rate',
          text: (r) => `${pct(r.rate)} (${r.likes + r.dislikes})`,
          dx: 4,
          textAnchor: 'start',
        }),
      ],
    });
  const perDay = s.reactionsPerDay.flatMap((d) => [
    { day: new Date(d.day), kind: 'like', n: d.like },
    { day: new Date(d.day), kind: 'dislike', n: d.dislike },
    { day: new Date(d.day), kind: 'undone', n: d.undo },
  ]);
  const impDay = s.impressions.perDay.map((d) => ({
    day: new Date(d.day),
    rate: d.shown ? d.reacted / d.shown : 0,
    shown: d.shown,
  }));

  root.replaceChildren(
    el('h1', { text: 'Live bot' }),
    el('p', { class: 'muted' }, [
      `Store ${s.store} · read ${s.generatedAt.replace('T', ' ').slice(0, 19)} UTC · `,
      meta.personal ? 'personal data shown (DASHBOARD_PERSONAL_DATA=true)' : 'aggregates only',
    ]),
    el('div', { class: 'cards', id: 'live-stats' }, [
      stat('users', fmt(s.users.total, 0), 'users'),
      stat('users who reacted', fmt(s.users.withFeedback, 0), 'reacted-users'),
      stat('active in 7 days', fmt(s.users.active7d, 0), 'active7d'),
      stat('lists shown', fmt(s.impressions.lists, 0), 'lists'),
      stat('items shown → reacted', `${pct(s.impressions.rate)}`, 'reaction-rate'),
      stat('like rate', pct(s.likeRate.overall.rate), 'like-rate'),
      stat('catalog shown at least once', pct(s.coverage.share), 'coverage'),
    ]),
    el('p', {
      class: 'muted',
      text: `Platforms: ${
        Object.entries(s.users.byPlatform)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '–'
      } · languages: ${
        Object.entries(s.users.byLang)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '–'
      }`,
    }),
    el('h2', { text: 'Reactions per day' }),
    perDay.length
      ? chart('reactions-per-day', 'Feedback events per day (last 60 days)', {
          width: 900,
          height: 240,
          x: { type: 'band', label: null, tickFormat: '%m-%d' },
          y: { grid: true, label: 'events' },
          color: { domain: ['like', 'dislike', 'undone'], range: ['#1a7f37', '#c62828', '#9aa7bd'], legend: true },
          marks: [
            Plot.barY(perDay, { x: 'day', y: 'n', fill: 'kind', title: (d) => `${d.kind}: ${d.n}` }),
            Plot.ruleY([0]),
          ],
        })
      : el('p', { class: 'muted', text: 'No reactions yet.' }),
    el('h2', { text: 'Like rate' }),
    el('div', { class: 'grid' }, [
      rateBars('like-rate-source', 'by source', s.likeRate.bySource),
      rateBars('like-rate-category', 'by category', s.likeRate.byCategory),
    ]),
    el('h2', { text: 'Impressions → reactions' }),
    el('table', { id: 'impressions-table' }, [
      el(
        'tr',
        {},
        ['kind', 'lists', 'items shown', 'reacted', 'rate'].map((h) => el('th', { text: h })),
      ),
      ...s.impressions.byKind.map((k) =>
        el('tr', {}, [
          el('td', { text: k.kind }),
          el('td', { text: fmt(k.lists, 0) }),
          el('td', { text: fmt(k.shown, 0) }),
          el('td', { text: fmt(k.reacted, 0) }),
          el('td', { text: pct(k.rate) }),
        ]),
      ),
    ]),
    impDay.length
      ? chart('impression-rate', 'Share of shown items that got a reaction, per day', {
          width: 900,
          height: 200,
          x: { type: 'utc', label: null },
          y: { grid: true, domain: [0, 1], tickFormat: '%', label: 'reacted' },
          marks: [
            Plot.lineY(impDay, { x: 'day', y: 'rate', stroke: '#5b8def' }),
            Plot.dot(impDay, {
              x: 'day',
              y: 'rate',
              r: 2.5,
              fill: '#5b8def',
              title: (d) => `${pct(d.rate)} of ${d.shown}`,
            }),
          ],
        })
      : '',
    el('h2', { text: 'Catalog coverage of what was shown' }),
    chart(
      'coverage-source',
      `${fmt(s.coverage.shown, 0)} of ${fmt(s.coverage.catalog, 0)} catalog items were shown at least once`,
      {
        width: 600,
        height: Math.max(140, s.coverage.bySource.length * 24 + 40),
        marginLeft: 130,
        x: { domain: [0, 1], grid: true, tickFormat: '%', label: 'shown share →' },
        y: { label: null, domain: s.coverage.bySource.map((r) => r.source) },
        marks: [
          Plot.barX(s.coverage.bySource, {
            y: 'source',
            x: 'share',
            fill: '#8c6bb1',
            title: (r) => `${r.source}: ${r.shown}/${r.catalog}`,
          }),
        ],
      },
    ),
    el('h2', { text: 'Two-tower model versions' }),
    s.models.length
      ? el('table', { id: 'models-table' }, [
          el(
            'tr',
            {},
            [
              'version',
              'trained',
              'active',
              'epochs (best)',
              'valid NDCG',
              'test metrics',
              'most-popular',
              'trained on',
            ].map((h) => el('th', { text: h })),
          ),
          ...s.models.map((m) =>
            el('tr', {}, [
              el('td', { class: 'text', text: m.version }),
              el('td', { text: m.createdAt ? m.createdAt.replace('T', ' ').slice(0, 16) : '–' }),
              el('td', { text: m.active ? '● serving' : '' }),
              el('td', { text: m.epochs === undefined ? '–' : `${m.epochs} (${m.bestEpoch ?? '–'})` }),
              el('td', { text: fmt(m.bestValidNdcg) }),
              el('td', {
                class: 'text',
                text:
                  Object.entries(m.test)
                    .map(([k, v]) => `${k} ${fmt(v)}`)
                    .join(', ') ||
                  (m.problem ?? '–'),
              }),
              el('td', {
                class: 'text',
                text:
                  Object.entries(m.popularTest)
                    .map(([k, v]) => `${k} ${fmt(v)}`)
                    .join(', ') || '–',
              }),
              el('td', {
                class: 'text',
                text: m.trainedOn
                  ? `${m.trainedOn.name ?? ''} ${m.trainedOn.users ?? '?'} users, ${m.trainedOn.interactions ?? '?'} interactions`
                  : '–',
              }),
            ]),
          ),
        ])
      : el('p', {
          class: 'muted',
          text: 'No trained model yet (the bot trains once it has enough reactions; npm run train trains by hand).',
        }),
    el('h2', { text: 'Scraper sources' }),
    s.sources.length
      ? el('table', { id: 'sources-table' }, [
          el(
            'tr',
            {},
            [
              'source',
              'status',
              'last success',
              'found / new / dropped',
              'pages ok / failed',
              'failures in a row',
              'last error',
            ].map((h) => el('th', { text: h })),
          ),
          ...s.sources.map((h) =>
            el('tr', {}, [
              el('td', { class: 'text', text: h.source }),
              el('td', { text: h.status }),
              el('td', { text: h.lastSuccessAt ? h.lastSuccessAt.replace('T', ' ').slice(0, 16) : 'never' }),
              el('td', { text: `${h.itemsFound} / ${h.itemsNew} / ${h.itemsDropped}` }),
              el('td', { text: `${h.pagesOk} / ${h.pagesFailed}` }),
              el('td', { text: String(h.consecutiveFailures) }),
              el('td', {
                class: 'text',
                text: h.lastError ? `${h.lastError.reason}: ${h.lastError.message}`.slice(0, 120) : '',
              }),
            ]),
          ),
        ])
      : el('p', { class: 'muted', text: 'No scrape has run yet.' }),
    ...(s.perUser
      ? [
          el('h2', { text: 'Users (DASHBOARD_PERSONAL_DATA=true)' }),
          el(
            'div',
            { class: 'scroll' },
            sortableTable(
              [
                { key: 'id', label: 'user', text: true, value: (u) => u.id, render: (u) => u.id },
                {
                  key: 'platforms',
                  label: 'platforms',
                  text: true,
                  value: (u) => u.platforms,
                  render: (u) => u.platforms,
                },
                { key: 'lang', label: 'lang', text: true, value: (u) => u.lang, render: (u) => u.lang },
                { key: 'likes', label: 'likes', value: (u) => u.likes, render: (u) => String(u.likes) },
                { key: 'dislikes', label: 'dislikes', value: (u) => u.dislikes, render: (u) => String(u.dislikes) },
                { key: 'lists', label: 'lists', value: (u) => u.lists, render: (u) => String(u.lists) },
                {
                  key: 'last',
                  label: 'last active',
                  text: true,
                  value: (u) => u.lastActive,
                  render: (u) => u.lastActive.slice(0, 16).replace('T', ' '),
                },
              ],
              s.perUser,
              { initial: { key: 'last', dir: 'desc' }, id: 'users-table' },
            ),
          ),
        ]
      : []),
  );
  ready('live');
}
