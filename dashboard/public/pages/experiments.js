// Experiments: every registered run (eval, tune, upload, simulate) with filters; select runs to compare.
import { api, el, fmt, ready, selection, sortableTable } from '../lib.js';

export async function render(root) {
  const [{ runs, problems }, meta] = await Promise.all([api('/api/runs'), api('/api/meta')]);
  const selected = new Set(selection.get().filter((id) => runs.some((r) => r.id === id)));
  const filters = { text: '', kind: '', dataset: '' };
  const kinds = [...new Set(runs.map((r) => r.kind))].sort();
  const datasets = [...new Set(runs.map((r) => r.dataset.name))].sort();

  const compareBtn = el('button', { id: 'compare-selected', onclick: () => go() }, 'Compare selected');
  const count = el('span', { class: 'muted' });
  const listBox = el('div', { class: 'scroll' });

  function go() {
    selection.set([...selected]);
    location.hash = `#/compare?runs=${[...selected].map(encodeURIComponent).join(',')}`;
  }
  function updateCount() {
    count.textContent = `${selected.size} selected`;
    compareBtn.disabled = selected.size === 0;
  }
  function visible() {
    const t = filters.text.toLowerCase();
    return runs.filter(
      (r) =>
        (!filters.kind || r.kind === filters.kind) &&
        (!filters.dataset || r.dataset.name === filters.dataset) &&
        (!t || `${r.label} ${r.id} ${r.models.join(' ')} ${r.git.commit ?? ''}`.toLowerCase().includes(t)),
    );
  }
  function draw() {
    const rows = visible();
    const columns = [
      {
        key: 'select',
        label: '',
        title: 'select for comparison',
        value: (r) => (selected.has(r.id) ? 1 : 0),
        render: (r) =>
          el('input', {
            type: 'checkbox',
            'aria-label': `select ${r.label}`,
            'data-run': r.id,
            checked: selected.has(r.id),
            onchange: (e) => {
              if (e.target.checked) selected.add(r.id);
              else selected.delete(r.id);
              selection.set([...selected]);
              updateCount();
            },
          }),
      },
      {
        key: 'date',
        label: 'date',
        text: true,
        value: (r) => r.createdAt,
        render: (r) => r.createdAt.replace('T', ' ').slice(0, 19),
      },
      {
        key: 'label',
        label: 'run',
        text: true,
        value: (r) => r.label,
        render: (r) => el('span', {}, [el('span', { class: `tag pill-${r.kind}`, text: r.kind }), r.label]),
      },
      {
        key: 'dataset',
        label: 'dataset',
        text: true,
        value: (r) => r.dataset.name,
        render: (r) =>
          el('span', { title: `fingerprint ${r.dataset.fingerprint}` }, [
            r.dataset.name,
            el('span', { class: 'muted', text: ` ${r.dataset.fingerprint.slice(0, 8)}` }),
          ]),
      },
      { key: 'users', label: 'users', value: (r) => r.dataset.users, render: (r) => fmt(r.dataset.users, 0) },
      { key: 'items', label: 'items', value: (r) => r.dataset.items, render: (r) => fmt(r.dataset.items, 0) },
      {
        key: 'split',
        label: 'split',
        text: true,
        value: (r) => r.split.kind,
        render: (r) => `${r.split.kind}${r.split.positive === 'all' ? '' : `, rating ≥ ${r.split.positive}`}`,
      },
      { key: 'seeds', label: 'seeds', value: (r) => r.seeds.length, render: (r) => String(r.seeds.length) },
      {
        key: 'models',
        label: 'models',
        value: (r) => r.models.length,
        render: (r) => el('span', { title: r.models.join(', '), text: String(r.models.length) }),
      },
      {
        key: 'best',
        label: 'best NDCG',
        value: (r) => r.best?.value,
        render: (r) =>
          r.best
            ? el('span', { title: r.best.metric }, [
                `${fmt(r.best.value)} `,
                el('span', { class: 'muted', text: r.best.model }),
              ])
            : '–',
      },
      {
        key: 'git',
        label: 'commit',
        text: true,
        value: (r) => r.git.commit ?? '',
        render: (r) =>
          r.git.commit
            ? el('code', {
                text: `${r.git.commit.slice(0, 8)}${r.git.dirty ? '+' : ''}`,
                title: r.git.dirty ? 'uncommitted changes' : r.git.commit,
              })
            : '–',
      },
      {
        key: 'artifacts',
        label: 'artifacts',
        text: true,
        value: (r) => Object.values(r.artifacts).filter(Boolean).length,
        render: (r) =>
          Object.entries(r.artifacts)
            .filter(([, v]) => v)
            .map(([k]) => k)
            .join(' · ') || '–',
      },
    ];
    listBox.replaceChildren(
      rows.length > 0
        ? sortableTable(columns, rows, { initial: { key: 'date', dir: 'desc' }, id: 'runs-table' })
        : el('p', { class: 'muted', id: 'no-runs' }, [
            runs.length === 0 ? 'No runs yet in ' : 'No run matches the filters.',
            runs.length === 0 ? el('code', { text: meta.experimentsDir }) : '',
            runs.length === 0
              ? '. Run `npm run eval -- --models all` (or upload lists on the Upload page), then reload.'
              : '',
          ]),
    );
  }

  const input = (label, key, attrs = {}) =>
    el('label', {}, [label, el('input', { ...attrs, oninput: (e) => ((filters[key] = e.target.value), draw()) })]);
  const choose = (label, key, values) =>
    el('label', {}, [
      label,
      el('select', { onchange: (e) => ((filters[key] = e.target.value), draw()) }, [
        el('option', { value: '' }, 'all'),
        ...values.map((v) => el('option', { value: v }, v)),
      ]),
    ]);

  root.replaceChildren(
    el('h1', { text: 'Experiments' }),
    el('p', { class: 'muted' }, [`${runs.length} runs in `, el('code', { text: meta.experimentsDir })]),
    el('div', { class: 'controls' }, [
      input('search', 'text', { placeholder: 'label, model, commit…', id: 'filter-text' }),
      choose('kind', 'kind', kinds),
      choose('dataset', 'dataset', datasets),
      compareBtn,
      count,
    ]),
    listBox,
    ...(problems.length > 0
      ? [
          el('h2', { text: 'Folders that are not valid runs' }),
          ...problems.map((p) => el('div', { class: 'warning', text: `${p.folder}: ${p.message}` })),
        ]
      : []),
  );
  draw();
  updateCount();
  ready('experiments');
}
