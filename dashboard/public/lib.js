// Shared helpers of the dashboard pages: API calls, DOM building, number formats, tables, charts (Observable Plot).

/** Observable Plot and d3, loaded by index.html from node_modules (no CDN). */
export const Plot = globalThis.Plot;
const d3 = globalThis.d3;
/** 26 distinct colours for categorical data (categories, sources, models, clusters). */
export const PALETTE = [...d3.schemeTableau10, ...d3.schemeDark2, ...d3.schemeSet3.slice(0, 8)];

export class ApiError extends Error {}

/** GET or POST JSON from the dashboard API; throws ApiError with the server's message. */
export async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { ...(options.headers ?? {}), 'x-deep-reco-dashboard': '1' },
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: text };
  }
  if (!res.ok) throw new ApiError(body.error ?? `HTTP ${res.status}`);
  return body;
}

/** el('div', { class: 'x', onclick }, [children]) */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of [].concat(children)) if (c !== undefined && c !== null && c !== false) node.append(c);
  return node;
}

export const fmt = (v, digits = 4) =>
  v === undefined || v === null || Number.isNaN(v)
    ? '–'
    : Math.abs(v) >= 1000
      ? Math.round(v).toLocaleString('en')
      : v.toFixed(digits);
export const pct = (v) => (v === undefined || v === null ? '–' : `${(v * 100).toFixed(1)}%`);

export function errorBox(message) {
  return el('div', { class: 'error', role: 'alert', text: message });
}

/** Marks the page as drawn (tests and screenshots wait for it). */
export function ready(name) {
  document.body.dataset.ready = name;
}

/** Query parameters of the hash route (#/compare?runs=a,b). */
export function routeParams() {
  const q = location.hash.split('?')[1] ?? '';
  return new URLSearchParams(q);
}

/** Selected runs survive page changes (localStorage). */
export const selection = {
  get() {
    try {
      return JSON.parse(localStorage.getItem('deep-reco:selected') ?? '[]');
    } catch {
      return [];
    }
  },
  set(ids) {
    localStorage.setItem('deep-reco:selected', JSON.stringify(ids));
  },
};

/**
 * A sortable table. columns: [{ key, label, value(row) → number|string, render?(row) → Node|string, text?: bool }].
 * Clicking a header sorts by it (again: reverses).
 */
export function sortableTable(columns, rows, { initial, id } = {}) {
  const table = el('table', id ? { id } : {});
  const thead = el('thead');
  const tbody = el('tbody');
  table.append(thead, tbody);
  let sortKey = initial?.key;
  let dir = initial?.dir ?? 'desc';
  const headRow = el('tr');
  const ths = columns.map((c) => {
    const th = el(
      'th',
      { class: `sortable${c.text ? ' text' : ''}`, 'data-key': c.key, title: c.title ?? `sort by ${c.label}` },
      c.label,
    );
    th.addEventListener('click', () => {
      dir = sortKey === c.key && dir === 'desc' ? 'asc' : 'desc';
      sortKey = c.key;
      draw();
    });
    headRow.append(th);
    return th;
  });
  thead.append(headRow);
  function draw() {
    const col = columns.find((c) => c.key === sortKey);
    const sorted = [...rows];
    if (col)
      sorted.sort((a, b) => {
        const va = col.value(a);
        const vb = col.value(b);
        const missing = (v) => v === undefined || v === null || Number.isNaN(v);
        if (missing(va) && missing(vb)) return 0;
        if (missing(va)) return 1;
        if (missing(vb)) return -1;
        const cmp = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
        return dir === 'asc' ? cmp : -cmp;
      });
    ths.forEach((th, i) => {
      th.classList.toggle('sorted-asc', columns[i].key === sortKey && dir === 'asc');
      th.classList.toggle('sorted-desc', columns[i].key === sortKey && dir === 'desc');
    });
    tbody.replaceChildren(
      ...sorted.map((r) =>
        el(
          'tr',
          {},
          columns.map((c) => {
            const content = c.render ? c.render(r) : fmt(c.value(r));
            const td = el('td', { class: c.text ? 'text' : undefined });
            if (c.cellClass) td.className = [td.className, c.cellClass(r)].filter(Boolean).join(' ');
            td.append(content ?? '');
            return td;
          }),
        ),
      ),
    );
  }
  draw();
  return table;
}

/** A chart in a <figure data-chart="name">; `options` go to Plot.plot. */
export function chart(name, caption, options) {
  const fig = el('figure', { dataset: { chart: name } }, [el('figcaption', { text: caption })]);
  fig.append(Plot.plot({ style: { background: 'transparent', fontSize: '11px' }, ...options }));
  return fig;
}

/** A labelled <select>. */
export function select(label, options, value, onchange, attrs = {}) {
  const s = el(
    'select',
    { ...attrs, onchange: (e) => onchange(e.target.value) },
    options.map((o) => {
      const [v, text] = Array.isArray(o) ? o : [o, o];
      return el('option', { value: v, selected: String(v) === String(value) }, text);
    }),
  );
  return el('label', {}, [label, s]);
}

/** Shows a small floating tooltip near the mouse; `content` is a Node or a string. */
export function tooltip(event, content) {
  const tip = document.getElementById('tooltip');
  if (!content) {
    tip.hidden = true;
    return;
  }
  tip.replaceChildren(content);
  tip.hidden = false;
  const x = Math.min(window.innerWidth - 300, event.clientX + 14);
  tip.style.left = `${x}px`;
  tip.style.top = `${event.clientY + 14}px`;
}

/**
 * Calls `onhover(datum | undefined, event)` when the mouse is over an element of the first mark with this aria-label
 * in a Plot figure (Plot stores each element's data index in `__data__`).
 */
export function hoverMarks(figure, ariaLabel, data, onhover) {
  const group = figure.querySelector(`g[aria-label="${ariaLabel}"]`); // the first such mark: the one `data` feeds
  (group ? [...group.children] : []).forEach((node) => {
    node.addEventListener('mouseenter', (e) => onhover(data[node.__data__], e));
    node.addEventListener('mousemove', (e) => onhover(data[node.__data__], e));
    node.addEventListener('mouseleave', (e) => onhover(undefined, e));
  });
}

/** Metric direction (lower is better for these). */
export const lowerIsBetter = (key) => ['gini', 'rmse', 'mae'].includes(String(key).split('@')[0]);
export const ACCURACY = ['recall', 'precision', 'ndcg', 'map', 'mrr', 'hit'];
export const isAccuracy = (key) => ACCURACY.includes(String(key).split('@')[0]) || ['rmse', 'mae'].includes(key);
