// Re-ranking lab: the bot's MMR replayed over a run's candidate pools at many λ → accuracy–diversity curves, with the
// bot's exploration levels and its current setting marked.
import { Plot, api, chart, el, errorBox, fmt, ready, routeParams, select } from '../lib.js';

export async function render(root) {
  const { runs } = await api('/api/runs');
  const withPools = runs.filter((r) => r.artifacts.pools);
  if (withPools.length === 0) {
    root.replaceChildren(
      el('h1', { text: 'Re-ranking lab' }),
      el('p', {
        class: 'muted',
        id: 'no-pools',
        text: 'No run has candidate pools (pools.json) yet: `npm run eval` stores them.',
      }),
    );
    ready('rerank');
    return;
  }
  const params = routeParams();
  let run = params.get('run') ?? withPools[0].id;
  let model = params.get('model') ?? '';
  let k = Number(params.get('k') ?? 0);
  let pool = 0;
  const controls = el('div', { class: 'controls' });
  const out = el('div');
  root.replaceChildren(
    el('h1', { text: 'Re-ranking lab' }),
    el('p', {
      class: 'muted',
      text: "Each user's top candidates from the model are re-ranked with the bot's own MMR (core/recommend.ts) at every λ: relevance = the model score scaled over the pool, similarity = item cosine scaled by the pool's maximum, exactly as /recommend does. λ = 1 keeps the model's order. The random exploration slots the bot adds at levels 2–3 are not replayed.",
    }),
    controls,
    out,
  );

  async function load() {
    out.replaceChildren(el('p', { class: 'muted', text: 'Sweeping…' }));
    try {
      const info = await api(`/api/runs/${encodeURIComponent(run)}/pools`);
      if (!info.models.includes(model)) model = info.models[0];
      if (!k) k = info.ks[0] ?? 10;
      const q = new URLSearchParams({ run, model, k: String(k), ...(pool ? { pool: String(pool) } : {}) });
      const s = await api(`/api/rerank?${q}`);
      pool = s.pool;
      controls.replaceChildren(
        select(
          'run',
          withPools.map((r) => [r.id, r.label]),
          run,
          (v) => ((run = v), (model = ''), load()),
          { id: 'rerank-run' },
        ),
        select('model', info.models, model, (v) => ((model = v), load()), { id: 'rerank-model' }),
        select(
          'K',
          [...new Set([...info.ks, 5, 10, 20])].filter((x) => x <= info.pool).sort((a, b) => a - b),
          k,
          (v) => ((k = Number(v)), load()),
        ),
        select(
          'pool',
          [...new Set([Math.max(k, 20), Math.max(8 * k, 40), info.pool])]
            .filter((x) => x <= info.pool && x >= k)
            .sort((a, b) => a - b),
          pool,
          (v) => ((pool = Number(v)), load()),
        ),
      );
      const pts = s.points.map((p) => ({
        lambda: p.lambda,
        levels: p.levels,
        ndcg: p.metrics[`ndcg@${k}`],
        ild: p.metrics[`ild@${k}`],
        coverage: p.metrics[`coverage@${k}`],
        novelty: p.metrics[`novelty@${k}`],
        recall: p.metrics[`recall@${k}`],
        bot: p.levels.length > 0,
        current: p.lambda === s.currentLambda,
      }));
      const curve = (x, label) =>
        chart(`curve:${x}`, `NDCG@${k} vs ${label}`, {
          width: 400,
          height: 300,
          grid: true,
          x: { label: `${label} →` },
          y: { label: `↑ NDCG@${k}` },
          marks: [
            Plot.line(
              pts.filter((p) => p[x] !== undefined),
              { x, y: 'ndcg', stroke: '#9aa7bd' },
            ),
            Plot.dot(
              pts.filter((p) => p[x] !== undefined),
              {
                x,
                y: 'ndcg',
                r: 3,
                fill: '#5b6b86',
                title: (p) => `λ = ${p.lambda}\nNDCG ${fmt(p.ndcg)}\n${label} ${fmt(p[x])}`,
              },
            ),
            Plot.dot(
              pts.filter((p) => p.bot && p[x] !== undefined),
              { x, y: 'ndcg', r: 6, stroke: '#2f6fde', strokeWidth: 2, symbol: 'square' },
            ),
            Plot.text(
              pts.filter((p) => p.bot && p[x] !== undefined),
              { x, y: 'ndcg', text: (p) => `L${p.levels.join('/')}`, dy: -12, fill: '#2f6fde' },
            ),
            Plot.dot(
              pts.filter((p) => p.current && p[x] !== undefined),
              { x, y: 'ndcg', r: 10, stroke: '#c62828', strokeWidth: 2.5 },
            ),
          ],
        });
      out.replaceChildren(
        el('div', { class: 'ok', id: 'bot-setting' }, [
          `The bot now: exploration level ${s.currentLevel} (λ = ${s.currentLambda}, RECO_DEFAULT_EXPLORE) — red ring. Blue squares: levels 0–3 (λ ${s.levels.map((l) => l.lambda).join(', ')}). `,
          `${s.users} users, pool ${s.pool}, K ${s.k}.`,
        ]),
        el('div', { class: 'grid' }, [curve('ild', 'ILD'), curve('coverage', 'coverage'), curve('novelty', 'novelty')]),
        el('table', { id: 'sweep-table' }, [
          el(
            'tr',
            {},
            ['λ', 'bot level', `NDCG@${k}`, `Recall@${k}`, 'ILD', 'coverage', 'novelty'].map((h) =>
              el('th', { text: h }),
            ),
          ),
          ...pts.map((p) =>
            el('tr', { class: p.current ? 'best' : undefined }, [
              el('td', { text: String(p.lambda) }),
              el('td', { text: p.levels.length ? `${p.levels.join(', ')}${p.current ? ' (now)' : ''}` : '' }),
              el('td', { text: fmt(p.ndcg) }),
              el('td', { text: fmt(p.recall) }),
              el('td', { text: fmt(p.ild) }),
              el('td', { text: fmt(p.coverage) }),
              el('td', { text: fmt(p.novelty, 3) }),
            ]),
          ),
        ]),
      );
    } catch (e) {
      out.replaceChildren(errorBox(e.message));
    }
    ready('rerank');
  }
  await load();
}
