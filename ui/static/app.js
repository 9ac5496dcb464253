// The inspector's router: hash routes, so that deep links (#/agents/{id}) never reach the server
// and the page works from the embedded assets alone.
//   #/agents                          the agents, a page at a time
//   #/agents/{id}                     that agent's context (the default view)
//   #/agents/{id}/{view}[/{arg}]      timeline | search | validity[/{passage_id}] | compaction
//   #/bench                           bench --json results loaded from a file
import { api, apiKey, setAPIKey, agentPath, enc } from './api.js';
import { h, pct, fmtTime } from './dom.js';
import { renderContext } from './context.js';
import { renderTimeline } from './timeline.js';
import { renderSearch } from './search.js';
import { renderValidity } from './validity.js';
import { renderCompaction } from './compaction.js';
import { renderBench } from './bench.js';

const main = document.getElementById('view');
const errorBox = document.getElementById('error');
let generation = 0;

export function showError(err) {
  if (!err) { errorBox.hidden = true; errorBox.textContent = ''; return; }
  let msg = err.message || String(err);
  if (err.status === 401) msg += ' — enter an API key above.';
  errorBox.textContent = msg;
  errorBox.hidden = false;
}

const VIEWS = [
  ['context', 'Context', renderContext],
  ['timeline', 'Timeline', renderTimeline],
  ['search', 'Search lab', renderSearch],
  ['validity', 'Validity', renderValidity],
  ['compaction', 'Compaction', renderCompaction],
];

async function route() {
  const gen = ++generation;
  const alive = () => gen === generation;
  showError(null);
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === (parts[0] || 'agents'));
  const view = h('div', { 'data-route': parts.join('/') || 'agents' });
  main.replaceChildren(view);
  try {
    if (parts[0] === 'bench') return await renderBench(view);
    if (parts[0] !== 'agents' || parts.length === 1) return await renderAgents(view, alive);
    const id = parts[1];
    const name = parts[2] || 'context';
    const v = VIEWS.find(([n]) => n === name);
    if (!v) throw new Error('no view ' + name);
    view.append(h('h1', {}, 'Agent ', h('code', {}, id)),
      h('div', { class: 'tabs' }, VIEWS.map(([n, label]) =>
        h('a', { href: '#/agents/' + enc(id) + (n === 'context' ? '' : '/' + n), class: n === name ? 'active' : '', 'data-tab': n }, label))));
    const body = h('div', { 'data-view': name });
    view.append(body);
    await v[2](body, { id, arg: parts[3], args: parts.slice(3), alive, reload: route });
  } catch (err) {
    if (alive()) showError(err);
  } finally {
    if (alive()) view.setAttribute('data-ready', '1');
  }
}

// Agents: a page of agents with their window use, message counts, archival size and last compactions.
let agentCursors = [''];
async function renderAgents(view, alive) {
  const page = agentCursors.length - 1;
  const q = '?limit=20' + (agentCursors[page] ? '&cursor=' + enc(agentCursors[page]) : '');
  const l = await api('GET', '/v1/agents' + q);
  if (!alive()) return;
  view.append(h('h1', {}, 'Agents'));
  const rows = h('tbody');
  view.append(h('table', { 'data-testid': 'agents' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Agent'), h('th', {}, 'Window use'), h('th', { class: 'num' }, 'Messages'),
      h('th', { class: 'num' }, 'In context'), h('th', { class: 'num' }, 'Evicted'), h('th', { class: 'num' }, 'Passages'),
      h('th', {}, 'Pressure'), h('th', {}, 'Last compactions'), h('th', {}, 'Created'))), rows));
  if (!l.items.length) rows.append(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No agents yet: create one with POST /v1/agents.')));
  for (const a of l.items) {
    const tr = h('tr', { 'data-agent': a.id });
    rows.append(tr);
    // One small request per agent on the page, in parallel; never the whole agent.
    Promise.all([api('GET', agentPath(a.id) + '/stats'), api('GET', agentPath(a.id) + '/compactions?limit=1000').catch(() => ({ items: [] }))])
      .then(([st, jobs]) => {
        const c = st.context;
        const last = jobs.items.slice(-3).reverse();
        tr.replaceChildren(
          h('td', {}, h('a', { href: '#/agents/' + enc(a.id) }, a.name || a.id), h('div', { class: 'muted mono' }, a.id)),
          h('td', {}, h('div', { class: 'ctxbar', style: 'height:10px;margin:4px 0' },
            h('div', { class: 'seg messages', style: 'width:' + Math.min(100, (100 * c.tokens) / c.window) + '%' })),
          h('span', { class: 'muted' }, c.tokens + ' / ' + c.window + ' tokens (' + pct(c.tokens, c.window) + ')')),
          h('td', { class: 'num', 'data-stat': 'messages' }, st.messages),
          h('td', { class: 'num', 'data-stat': 'in_context' }, c.in_context),
          h('td', { class: 'num', 'data-stat': 'evicted' }, st.evicted),
          h('td', { class: 'num', 'data-stat': 'passages' }, st.passages),
          h('td', {}, h('span', { class: 'badge ' + c.pressure }, c.pressure)),
          h('td', {}, last.length ? last.map((j) => h('div', {}, h('span', { class: 'badge ' + j.status }, j.status), ' ',
            j.reason + ' seq ' + j.from_seq + '–' + j.through_seq)) : h('span', { class: 'muted' }, 'none')),
          h('td', { class: 'muted' }, fmtTime(a.created_at)));
      }).catch((err) => tr.append(h('td', { colspan: 8 }, err.message)));
    tr.append(h('td', {}, a.name || a.id), h('td', { colspan: 8, class: 'muted' }, '…'));
  }
  view.append(h('div', { class: 'pager' },
    h('button', { disabled: page === 0, onclick: () => { agentCursors.pop(); route(); } }, '← Previous'),
    h('span', { class: 'muted' }, 'page ' + (page + 1)),
    h('button', { disabled: !l.next_cursor, onclick: () => { agentCursors.push(l.next_cursor); route(); } }, 'Next →')));
}

function setupKeyForm() {
  const input = document.getElementById('apikey');
  const state = document.getElementById('keystate');
  const show = () => { state.textContent = apiKey() ? 'key set for this tab' : 'no key'; };
  document.getElementById('keyform').addEventListener('submit', (e) => {
    e.preventDefault();
    setAPIKey(input.value.trim());
    input.value = '';
    show();
    route();
  });
  document.getElementById('forget').addEventListener('click', () => { setAPIKey(''); show(); route(); });
  show();
}

setupKeyForm();
window.addEventListener('hashchange', route);
if (!location.hash) location.hash = '#/agents'; else route();
