// Embedding map: item vectors (text, image, two-tower item tower) projected to 2-D with UMAP, coloured by category,
// source or k-means cluster; hover shows the title and thumbnail; optional user overlay (liked / disliked / persona).
import { PALETTE, Plot, api, chart, el, errorBox, hoverMarks, ready, routeParams, select, tooltip } from '../lib.js';

export async function render(root) {
  const [{ runs }, meta] = await Promise.all([api('/api/runs'), api('/api/meta')]);
  const sources = [
    ...(meta.liveCatalog ? [['live', "the bot's live catalog"]] : []),
    ...runs.filter((r) => r.artifacts.pools).map((r) => [r.id, `run: ${r.label}`]),
  ];
  if (sources.length === 0) {
    root.replaceChildren(
      el('h1', { text: 'Embedding map' }),
      el('p', {
        class: 'muted',
        id: 'no-source',
        text: 'Nothing to map: no live catalog (no bot store, or an empty one) and no run has item vectors (pools.json).',
      }),
    );
    ready('embedding');
    return;
  }
  const params = routeParams();
  const state = {
    source: params.get('source') ?? sources[0][0],
    space: params.get('space') ?? 'text',
    color: params.get('color') ?? 'category',
    clusters: Number(params.get('clusters') ?? 8),
    max: Number(params.get('max') ?? Math.min(meta.mapMaxPoints, 2000)),
    user: '',
    model: '',
  };
  const controls = el('div', { class: 'controls' });
  const out = el('div');
  root.replaceChildren(
    el('h1', { text: 'Embedding map' }),
    el('p', {
      class: 'muted',
      text: 'UMAP (umap-js, seeded) of the item vectors; k-means clusters are computed on the original vectors. Hover a point for its title and thumbnail.',
    }),
    controls,
    out,
  );

  async function load() {
    out.replaceChildren(
      el('p', { class: 'muted', text: 'Projecting… (UMAP runs on the server; large maps take a few seconds)' }),
    );
    try {
      const q = new URLSearchParams({
        source: state.source,
        space: state.space,
        clusters: String(state.clusters),
        max: String(state.max),
      });
      const [map, people] = await Promise.all([
        api(`/api/embedding?${q}`),
        api(`/api/embedding/users?source=${encodeURIComponent(state.source)}`),
      ]);
      state.space = map.space;
      let overlay;
      if (state.user) {
        const oq = new URLSearchParams({
          ...Object.fromEntries(q),
          user: state.user,
          ...(state.model ? { model: state.model } : {}),
        });
        overlay = await api(`/api/embedding/overlay?${oq}`);
      }
      controls.replaceChildren(
        select(
          'source',
          sources,
          state.source,
          (v) => ((state.source = v), (state.user = ''), (state.space = 'text'), load()),
          { id: 'map-source' },
        ),
        select(
          'space',
          map.spaces.map((s) => [s.name, `${s.label} · ${s.dim}-d`]),
          state.space,
          (v) => ((state.space = v), load()),
          { id: 'map-space' },
        ),
        select(
          'colour',
          [
            ['category', 'category'],
            ['source', 'source'],
            ['cluster', 'k-means cluster'],
          ],
          state.color,
          (v) => ((state.color = v), load()),
          { id: 'map-color' },
        ),
        select('clusters', [2, 4, 6, 8, 12, 16], state.clusters, (v) => ((state.clusters = Number(v)), load())),
        select(
          'points',
          [200, 500, 1000, 2000, 5000, 10000].filter((n) => n <= meta.mapMaxPoints),
          state.max,
          (v) => ((state.max = Number(v)), load()),
        ),
        people.users.length > 0
          ? select(
              'overlay user',
              [['', '— none —'], ...people.users.map((u) => [u, u])],
              state.user,
              (v) => ((state.user = v), load()),
              { id: 'map-user' },
            )
          : el('span', {
              class: 'muted',
              text:
                state.source === 'live' && !people.personal ? 'User overlays: set DASHBOARD_PERSONAL_DATA=true' : '',
            }),
        ...(people.models?.length && state.user
          ? [select('list of', people.models, state.model || people.models[0], (v) => ((state.model = v), load()))]
          : []),
      );
      const pts = map.points.map((p) => ({ ...p, cluster: `cluster ${p.cluster + 1}` }));
      const key = state.color;
      const liked = new Set(overlay?.liked ?? []);
      const disliked = new Set(overlay?.disliked ?? []);
      const recommended = new Set(overlay?.recommended ?? []);
      const marks = [
        Plot.dot(pts, { x: 'x', y: 'y', fill: key, r: 2.8, fillOpacity: overlay ? 0.35 : 0.8 }),
        ...(overlay
          ? [
              Plot.dot(
                pts.filter((p) => liked.has(p.id)),
                { x: 'x', y: 'y', r: 6, stroke: '#1a7f37', strokeWidth: 2 },
              ),
              Plot.dot(
                pts.filter((p) => disliked.has(p.id)),
                { x: 'x', y: 'y', r: 6, stroke: '#c62828', strokeWidth: 2, symbol: 'times' },
              ),
              Plot.dot(
                pts.filter((p) => recommended.has(p.id)),
                { x: 'x', y: 'y', r: 6, stroke: '#2f6fde', strokeWidth: 2, symbol: 'square' },
              ),
              ...(overlay.persona
                ? [
                    Plot.dot([overlay.persona], {
                      x: 'x',
                      y: 'y',
                      r: 9,
                      fill: '#ffb300',
                      stroke: '#333',
                      symbol: 'star',
                    }),
                  ]
                : []),
            ]
          : []),
      ];
      const fig = chart(
        'map',
        `${map.points.length} of ${map.total} items${map.sampled ? ' (an even sample; raise "points" for more)' : ''}`,
        {
          width: 900,
          height: 620,
          x: { axis: null },
          y: { axis: null },
          color: { legend: true, range: PALETTE },
          marks,
        },
      );
      hoverMarks(fig, 'dot', pts, (p, e) => {
        if (!p) return tooltip(e, undefined);
        const content = el('div', {}, [
          el('strong', { text: p.title }),
          el('div', { class: 'muted', text: `${p.category} · ${p.source} · ${p.cluster}` }),
          ...(p.thumb && state.source === 'live'
            ? [el('img', { src: `/api/thumb/${encodeURIComponent(p.id)}`, alt: '' })]
            : []),
        ]);
        tooltip(e, content);
      });
      out.replaceChildren(
        fig,
        ...(overlay
          ? [
              el('p', {
                class: 'muted',
                text: `Overlay: green rings = liked / relevant test items (${liked.size}), red × = disliked (${disliked.size}), blue squares = recommended (${recommended.size})${overlay.persona ? ', star = persona (placed among its 10 nearest items)' : ''}. Items outside the sample are not drawn.`,
              }),
            ]
          : []),
      );
    } catch (e) {
      out.replaceChildren(errorBox(e.message));
    }
    ready('embedding');
  }
  await load();
}
