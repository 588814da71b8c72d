// Compare: metrics × models (sortable, best per column, mean ± std over seeds, significance marks), bar charts per
// metric, parallel coordinates of accuracy vs beyond-accuracy, per-user distributions, accuracy by popularity bucket.
import {
  PALETTE,
  Plot,
  api,
  chart,
  el,
  errorBox,
  fmt,
  isAccuracy,
  lowerIsBetter,
  ready,
  routeParams,
  select,
  selection,
  sortableTable,
} from '../lib.js';

const metricName = (key) => String(key).split('@')[0];

export async function render(root) {
  const ids = (routeParams().get('runs') ?? selection.get().join(',')).split(',').filter(Boolean);
  if (ids.length === 0) {
    root.replaceChildren(
      el('h1', { text: 'Compare' }),
      el('p', { class: 'muted', id: 'no-selection' }, [
        'Select one or more runs on the ',
        el('a', { href: '#/experiments' }, 'Experiments'),
        ' page.',
      ]),
    );
    ready('compare');
    return;
  }
  selection.set(ids);
  const data = await api(`/api/compare?runs=${ids.map(encodeURIComponent).join(',')}`);
  const ks = [...new Set(data.runs.flatMap((r) => r.ks))].sort((a, b) => a - b);
  let k = Number(routeParams().get('k') ?? ks[0] ?? 10);
  const body = el('div');

  root.replaceChildren(
    el('h1', { text: 'Compare' }),
    el(
      'p',
      { class: 'muted' },
      data.runs.map((r, i) =>
        el('span', {}, [
          i ? ' · ' : '',
          el('span', { class: `tag pill-${r.kind}`, text: r.kind }),
          `${r.label} (${r.dataset}, ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'})`,
        ]),
      ),
    ),
    ...data.warnings.map((w) => el('div', { class: 'warning', text: w })),
    el('div', { class: 'controls' }, [select('K', ks, k, (v) => ((k = Number(v)), draw()), { id: 'k-select' })]),
    body,
  );

  async function draw() {
    const keys = data.metricKeys.filter((m) => m.endsWith(`@${k}`) || !m.includes('@'));
    const rows = data.rows;
    const models = rows.map((r) => r.key);
    const color = { domain: models, range: PALETTE };

    // ---- table
    const columns = [
      {
        key: 'model',
        label: 'model',
        text: true,
        value: (r) => r.key,
        render: (r) => el('span', { title: r.family ?? '' }, r.key),
      },
      ...keys.map((m) => ({
        key: m,
        label: m,
        title: `sort by ${m} (${lowerIsBetter(m) ? 'lower' : 'higher'} is better)`,
        value: (r) => r.metrics[m]?.mean,
        cellClass: (r) => (r.metrics[m] && data.best[m] === r.metrics[m].mean ? 'best' : ''),
        render: (r) => {
          const s = r.metrics[m];
          if (!s) return '–';
          const out = el('span', {}, [fmt(s.mean)]);
          if (s.n > 1) out.append(el('span', { class: 'std', text: ` ± ${fmt(s.std)}` }));
          const sig = r.significance[m];
          if (sig) {
            const better = lowerIsBetter(m) ? sig.delta < 0 : sig.delta > 0;
            const mark = sig.significant ? (better ? '▲' : '▼') : '';
            if (mark)
              out.append(
                el('sup', {
                  class: better ? 'sig-up' : 'sig-down',
                  'data-sig': mark,
                  title: `${better ? 'better' : 'worse'} than ${sig.vs}: Δ ${fmt(sig.delta)}, p = ${sig.pValue.toPrecision(3)} (${sig.test}, α = ${sig.alpha})`,
                  text: ` ${mark}`,
                }),
              );
          }
          return out;
        },
      })),
      { key: 'users', label: 'users', value: (r) => r.users, render: (r) => fmt(r.users, 0) },
      { key: 'fit', label: 'fit s', value: (r) => r.fitSeconds, render: (r) => fmt(r.fitSeconds, 2) },
    ];
    const firstAcc = keys.find((m) => metricName(m) === 'ndcg') ?? keys[0];
    const table = sortableTable(columns, rows, { initial: { key: firstAcc, dir: 'desc' }, id: 'compare-table' });

    // ---- bar charts, one per metric
    const bars = keys.map((m) => {
      const d = rows
        .filter((r) => r.metrics[m])
        .map((r) => ({ model: r.key, mean: r.metrics[m].mean, std: r.metrics[m].std }));
      return chart(`bar:${m}`, `${m}${lowerIsBetter(m) ? ' (lower is better)' : ''}`, {
        width: 320,
        height: 230,
        marginBottom: 70,
        x: { domain: models, tickRotate: -30, label: null },
        y: { grid: true, label: null },
        color,
        marks: [
          Plot.barY(d, {
            x: 'model',
            y: 'mean',
            fill: 'model',
            title: (r) => `${r.model}: ${fmt(r.mean)}${r.std ? ` ± ${fmt(r.std)}` : ''}`,
          }),
          Plot.ruleX(
            d.filter((r) => r.std > 0),
            { x: 'model', y1: (r) => r.mean - r.std, y2: (r) => r.mean + r.std, stroke: '#333' },
          ),
          Plot.ruleY([0]),
        ],
      });
    });

    // ---- parallel coordinates: each axis scaled to [0, 1] over the models, "up" always better
    const accKeys = keys.filter((m) => m.includes('@') && isAccuracy(m));
    const beyondKeys = keys.filter((m) => m.includes('@') && !isAccuracy(m));
    const axes = [...accKeys, ...beyondKeys];
    const par = [];
    for (const m of axes) {
      const vals = rows.map((r) => r.metrics[m]?.mean).filter((v) => v !== undefined);
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      for (const r of rows) {
        const v = r.metrics[m]?.mean;
        if (v === undefined) continue;
        let n = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        if (lowerIsBetter(m)) n = 1 - n;
        par.push({ model: r.key, metric: m, n, v });
      }
    }
    const parallel = chart(
      'parallel',
      `Accuracy (left) vs beyond-accuracy (right) @${k} — each axis min–max scaled over the models, up = better (gini inverted)`,
      {
        width: Math.max(600, axes.length * 90),
        height: 320,
        marginBottom: 40,
        x: { domain: axes, type: 'point', label: null, padding: 0.3 },
        y: { domain: [0, 1], label: 'scaled', grid: true },
        color: { ...color, legend: true },
        marks: [
          Plot.ruleX(axes, { stroke: (m) => (isAccuracy(m) ? '#2f6fde' : '#b26a00'), strokeWidth: 2 }),
          Plot.line(par, { x: 'metric', y: 'n', z: 'model', stroke: 'model', strokeWidth: 2 }),
          Plot.dot(par, {
            x: 'metric',
            y: 'n',
            fill: 'model',
            r: 3.5,
            title: (d) => `${d.model}\n${d.metric} = ${fmt(d.v)}`,
          }),
        ],
      },
    );

    body.replaceChildren(
      el('h2', { text: `Metrics @${k}` }),
      el('p', {
        class: 'muted',
        text: "Click a column to sort. Bold: best in the column. ▲/▼: significantly better/worse than the model named in the tooltip (the harness's paired test).",
      }),
      el('div', { class: 'scroll' }, table),
      el('h2', { text: 'Per metric' }),
      el('div', { class: 'grid', id: 'bar-charts' }, bars),
      el('h2', { text: 'Accuracy vs beyond-accuracy' }),
      el('div', { class: 'scroll' }, parallel),
      el('h2', { text: 'Per-user distributions' }),
      await distributions(k),
      el('h2', { text: 'Accuracy by item popularity' }),
      await popularity(k),
    );
    ready('compare');
  }

  async function distributions(kNow) {
    const withUsers = data.artifacts.filter((a) => a.users).map((a) => a.id);
    const box = el('div');
    if (withUsers.length === 0)
      return el('p', { class: 'muted', text: 'None of these runs stored per-user metrics (users.json).' });
    let run = withUsers[0];
    let metric = `ndcg@${kNow}`;
    const controls = el('div', { class: 'controls' });
    const out = el('div');
    async function load() {
      try {
        const d = await api(`/api/runs/${encodeURIComponent(run)}/distribution?metric=${encodeURIComponent(metric)}`);
        metric = d.metric;
        controls.replaceChildren(
          ...(withUsers.length > 1
            ? [
                select(
                  'run',
                  withUsers.map((id) => [id, data.runs.find((r) => r.id === id).label]),
                  run,
                  (v) => ((run = v), load()),
                ),
              ]
            : []),
          select('metric', d.metrics, metric, (v) => ((metric = v), load()), { id: 'dist-metric' }),
        );
        const flat = Object.entries(d.values).flatMap(([model, vals]) => vals.map((value) => ({ model, value })));
        out.replaceChildren(
          chart('box', `${d.metric} per user (${d.users} users${d.sampled ? ', an even sample shown' : ''})`, {
            width: Math.max(420, Object.keys(d.values).length * 80),
            height: 300,
            marginBottom: 70,
            x: { tickRotate: -30, label: null },
            y: { grid: true, label: d.metric },
            marks: [Plot.boxY(flat, { x: 'model', y: 'value', fill: '#9db9ec' })],
          }),
        );
      } catch (e) {
        out.replaceChildren(errorBox(e.message));
      }
    }
    await load();
    box.append(controls, out);
    return box;
  }

  async function popularity(kNow) {
    const withLists = data.artifacts.filter((a) => a.lists).map((a) => a.id);
    if (withLists.length === 0)
      return el('p', { class: 'muted', text: 'None of these runs stored top-K lists (lists.json).' });
    const box = el('div');
    let run = withLists[0];
    let buckets = 3;
    const controls = el('div', { class: 'controls' });
    const out = el('div');
    async function load() {
      try {
        const p = await api(`/api/runs/${encodeURIComponent(run)}/popularity?k=${kNow}&buckets=${buckets}`);
        controls.replaceChildren(
          ...(withLists.length > 1
            ? [
                select(
                  'run',
                  withLists.map((id) => [id, data.runs.find((r) => r.id === id).label]),
                  run,
                  (v) => ((run = v), load()),
                ),
              ]
            : []),
          select('buckets', [2, 3, 4, 5], buckets, (v) => ((buckets = Number(v)), load())),
        );
        const models = [...new Set(p.rows.map((r) => r.model))];
        const order = p.buckets.map((b) => b.label);
        const common = {
          width: Math.max(560, order.length * models.length * 34),
          height: 260,
          marginBottom: 40,
          fx: { domain: order, label: null },
          x: { domain: models, axis: null },
          color: { domain: models, range: PALETTE, legend: true },
        };
        out.replaceChildren(
          el('p', {
            class: 'muted',
            text: `Items sorted by training popularity and cut into buckets holding equal shares of the training interactions (head = few popular items, tail = many rare ones). Recall@${p.k} within a bucket = hits on the bucket's relevant items / its relevant items, over ${p.users} users.`,
          }),
          el('div', { class: 'row' }, [
            chart('pop-recall', `Recall@${p.k} by popularity bucket`, {
              ...common,
              y: { grid: true, label: 'recall' },
              marks: [
                Plot.barY(p.rows, {
                  fx: 'bucket',
                  x: 'model',
                  y: 'recall',
                  fill: 'model',
                  title: (r) => `${r.model} · ${r.bucket}: ${fmt(r.recall)} (${r.hits}/${r.targets})`,
                }),
                Plot.ruleY([0]),
              ],
            }),
            chart('pop-exposure', `Share of recommended slots per bucket`, {
              ...common,
              y: { grid: true, label: 'share', domain: [0, 1] },
              marks: [
                Plot.barY(p.rows, {
                  fx: 'bucket',
                  x: 'model',
                  y: 'exposure',
                  fill: 'model',
                  title: (r) => `${r.model} · ${r.bucket}: ${fmt(r.exposure * 100, 1)}%`,
                }),
                Plot.ruleY([0]),
              ],
            }),
          ]),
          el('table', {}, [
            el(
              'tr',
              {},
              ['bucket', 'items', 'share of training interactions', 'popularity range'].map((h) =>
                el('th', { text: h }),
              ),
            ),
            ...p.buckets.map((b) =>
              el('tr', {}, [
                el('td', { text: b.label }),
                el('td', { text: fmt(b.items, 0) }),
                el('td', { text: `${(b.trainShare * 100).toFixed(1)}%` }),
                el('td', { text: b.label === 'unseen' ? '0' : `${b.minPop}–${b.maxPop}` }),
              ]),
            ),
          ]),
        );
      } catch (e) {
        out.replaceChildren(errorBox(e.message));
      }
    }
    await load();
    box.append(controls, out);
    return box;
  }

  await draw();
}
