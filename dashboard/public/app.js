// The dashboard's router: one module per page under pages/, chosen by the hash (#/compare?runs=…).
import { errorBox, el } from './lib.js';

const PAGES = ['experiments', 'compare', 'upload', 'rerank', 'embedding', 'live'];

async function route() {
  const name = (location.hash.replace(/^#\/?/, '').split('?')[0] || 'experiments').toLowerCase();
  const page = PAGES.includes(name) ? name : 'experiments';
  document.body.dataset.ready = '';
  document.getElementById('tooltip').hidden = true;
  document.body.dataset.page = page;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === page);
  const root = document.getElementById('app');
  root.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
  try {
    const mod = await import(`./pages/${page}.js`);
    await mod.render(root);
  } catch (e) {
    root.replaceChildren(errorBox(e.message));
    document.body.dataset.ready = page;
  }
}

window.addEventListener('hashchange', route);
route();
