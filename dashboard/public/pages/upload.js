// Upload: recommendation lists from any other system + the test interactions → the project's own metrics, stored as
// a run of kind "upload" and opened in the compare view.
import { api, el, errorBox, fmt, ready, selection } from '../lib.js';

export async function render(root) {
  const [{ runs }, meta] = await Promise.all([api('/api/runs'), api('/api/meta')]);
  const refs = runs.filter((r) => r.kind !== 'upload');
  const result = el('div', { id: 'upload-result' });
  const submit = el('button', { type: 'submit', id: 'upload-submit' }, 'Evaluate');
  const file = (name, label, required) =>
    el('label', {}, [
      label,
      el('input', { type: 'file', name, id: `file-${name}`, accept: '.csv,.tsv,.txt,.json,.jsonl,.inter', required }),
    ]);
  const text = (name, label, attrs = {}) =>
    el('label', {}, [label, el('input', { name, id: `field-${name}`, ...attrs })]);

  const form = el('form', { id: 'upload-form', class: 'card' }, [
    el('div', { class: 'controls' }, [
      file('recommendations', 'Recommendation lists (user, item, rank | score)', true),
      file('test', 'Test interactions (user, item[, rating])', true),
      file('train', 'Training interactions (optional: novelty, serendipity, popularity buckets)', false),
    ]),
    el('div', { class: 'controls' }, [
      text('model', 'model name', { placeholder: 'my-model' }),
      text('label', 'run label', { placeholder: 'file name' }),
      text('ks', 'K', { value: '10', size: 8 }),
      text('positive', 'relevant when rating ≥', {
        value: 'all',
        size: 6,
        title: '"all" = every test row is relevant',
      }),
      el('label', {}, [
        'same data as run (optional)',
        el('select', { name: 'reference', id: 'field-reference' }, [
          el('option', { value: '' }, '— none —'),
          ...refs.map((r) => el('option', { value: r.id }, `${r.label} · ${r.dataset.name}`)),
        ]),
      ]),
      submit,
    ]),
  ]);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    result.replaceChildren(el('p', { class: 'muted', text: 'Evaluating…' }));
    try {
      const r = await api('/api/upload', { method: 'POST', body: new FormData(form) });
      const run = r.run;
      const model = run.models[0];
      const keys = Object.keys(model.metrics);
      const reference = new FormData(form).get('reference');
      const ids = [run.id, ...(reference ? [reference] : [])];
      selection.set(ids);
      result.replaceChildren(
        el('div', {
          class: 'ok',
          text: `Evaluated ${model.users} users at K = ${run.ks.join(', ')} and stored as run ${run.id}.`,
        }),
        ...r.notes.map((n) => el('div', { class: 'warning', text: n })),
        el('table', { id: 'upload-metrics' }, [
          el('tr', {}, [el('th', { text: 'metric' }), el('th', { text: model.name })]),
          ...keys.map((k) =>
            el('tr', { 'data-metric': k }, [el('td', { text: k }), el('td', { text: fmt(model.metrics[k].mean) })]),
          ),
        ]),
        el('p', {}, [
          el(
            'a',
            { href: `#/compare?runs=${ids.map(encodeURIComponent).join(',')}`, id: 'open-compare' },
            'Open in the compare view →',
          ),
        ]),
      );
    } catch (err) {
      result.replaceChildren(errorBox(err.message));
    } finally {
      submit.disabled = false;
      ready('upload-done');
    }
  });

  root.replaceChildren(
    el('h1', { text: 'Upload recommendation lists' }),
    el('p', { class: 'muted' }, [
      'CSV/TSV with a header row (RecBole atomic-file headers such as ',
      el('code', { text: 'user_id:token' }),
      ' work), a JSON array of objects, or JSON Lines. Lists: ',
      el('code', { text: 'user,item,rank' }),
      ' (1 = best) or ',
      el('code', { text: 'user,item,score' }),
      ' (higher = better). Test: ',
      el('code', { text: 'user,item[,rating]' }),
      `. At most ${meta.uploadMaxMb} MB per upload. The metrics are the project's own (RecBole conventions, docs/EVALUATION.md); picking a run of the same data adds its catalog size, item popularity and item vectors (coverage, novelty, ILD).`,
    ]),
    form,
    result,
  );
  ready('upload');
}
