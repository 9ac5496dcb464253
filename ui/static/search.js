// Search lab: an archival or recall search with any mode, weights and as_of. Every archival hit
// shows its score breakdown as bars; suppressed passages (superseded, invalidated, expired) are
// shown greyed with why; two weight settings can run side by side.
import { api, agentPath, enc } from './api.js';
import { h, fmtTime } from './dom.js';

const PARTS = ['relevance', 'recency', 'validity', 'subject', 'predicate'];
const last = new Map(); // agent -> the last form values, so that going back keeps them

export async function renderSearch(el, { id, alive }) {
  const st = last.get(id) || { query: '', target: 'archival', k: 10, asOf: '', includeInvalid: true, compare: false,
    sets: [{ mode: 'hybrid', w: {} }, { mode: 'hybrid', w: { recency: 0 } }] };
  last.set(id, st);
  const q = h('input', { name: 'query', size: 50, value: st.query, placeholder: 'what to look for', required: true });
  const target = h('select', { name: 'target' }, ['archival', 'recall'].map((t) => h('option', { value: t, selected: t === st.target }, t)));
  const k = h('input', { name: 'k', type: 'number', min: 1, max: 50, value: st.k, style: 'width:60px' });
  const asOf = h('input', { name: 'as_of', type: 'datetime-local', step: 1, value: st.asOf });
  const inv = h('input', { name: 'include_invalid', type: 'checkbox', checked: st.includeInvalid });
  const cmp = h('input', { name: 'compare', type: 'checkbox', checked: st.compare });
  const sets = st.sets.map((set, i) => settings(set, i));
  const out = h('div', { 'data-testid': 'results' });
  const form = h('form', { class: 'card', 'data-testid': 'searchform' },
    h('div', { class: 'row' }, h('label', {}, 'Query ', q), h('label', {}, 'in ', target), h('label', {}, 'k ', k),
      h('label', {}, 'as of ', asOf), h('label', {}, inv, ' show suppressed'), h('label', {}, cmp, ' compare two settings'),
      h('button', { class: 'primary', type: 'submit' }, 'Search')),
    h('div', { class: 'grid2' }, sets.map((x) => x.el)));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    Object.assign(st, { query: q.value, target: target.value, k: parseInt(k.value, 10) || 10, asOf: asOf.value,
      includeInvalid: inv.checked, compare: cmp.checked, sets: sets.map((x) => x.read()) });
    out.replaceChildren(h('p', { class: 'muted' }, 'Searching…'));
    const runs = st.compare ? [0, 1] : [0];
    try {
      const cols = await Promise.all(runs.map((i) => run(id, st, st.sets[i])));
      if (!alive()) return;
      out.replaceChildren(h('div', { class: runs.length > 1 ? 'grid2' : '' },
        cols.map((hits, i) => h('div', { 'data-setting': 'ABCD'[runs[i]] }, h('h2', {}, 'Setting ' + 'AB'[runs[i]] + ': ' + describe(st.sets[runs[i]])),
          hits))));
      out.setAttribute('data-done', String(Date.now()));
    } catch (err) {
      out.replaceChildren(h('p', { class: 'why' }, err.message));
    }
  });
  el.append(form, out);
}

function settings(set, i) {
  const mode = h('select', { name: 'mode' }, ['hybrid', 'lexical', 'dense'].map((m) => h('option', { value: m, selected: m === set.mode }, m)));
  const ws = Object.fromEntries(PARTS.map((p) => [p, h('input', { type: 'number', step: 0.05, min: 0, name: 'w_' + p, value: set.w[p] ?? '', placeholder: 'auto' })]));
  const el = h('fieldset', { 'data-set': 'AB'[i] }, h('legend', {}, 'Setting ' + 'AB'[i] + (i ? ' (with compare)' : '')),
    h('label', {}, 'mode ', mode), PARTS.map((p) => h('label', {}, p, ws[p])));
  const read = () => {
    const w = {};
    for (const p of PARTS) if (ws[p].value !== '') w[p] = parseFloat(ws[p].value);
    return { mode: mode.value, w };
  };
  return { el, read };
}

const describe = (set) => set.mode + (Object.keys(set.w).length ? ', ' + Object.entries(set.w).map(([k, v]) => k + '=' + v).join(' ') : ', default weights');

async function run(id, st, set) {
  if (st.target === 'recall') {
    const r = await api('POST', agentPath(id) + '/recall/search', { query: st.query, k: st.k });
    if (!r.results.length) return h('p', { class: 'muted' }, 'No hits.');
    return r.results.map((x, i) => h('div', { class: 'hit', 'data-hit': i, 'data-msg': x.message.id },
      h('div', { class: 'row' }, h('strong', {}, '#' + (i + 1)), h('span', { class: 'mono' }, 'score ' + x.score.toFixed(4)),
        h('span', { class: 'badge' }, x.message.role), h('span', { class: 'muted' }, 'seq ' + x.message.seq),
        x.message.in_context ? h('span', { class: 'badge in-context' }, 'in context') : h('span', { class: 'badge evicted' }, 'evicted')),
      h('div', {}, x.message.content)));
  }
  const body = { query: st.query, k: st.k, include_invalid: st.includeInvalid, mode: set.mode };
  if (Object.keys(set.w).length) body.weights = set.w;
  if (st.asOf) body.as_of = new Date(st.asOf).toISOString();
  const r = await api('POST', agentPath(id) + '/archival/search', body);
  if (!r.results.length) return h('p', { class: 'muted' }, 'No hits.');
  return Promise.all(r.results.map((x, i) => hit(id, x, i)));
}

async function hit(id, x, i) {
  const p = x.passage;
  const suppressed = p.status !== 'valid';
  return h('div', { class: 'hit' + (suppressed ? ' suppressed' : ''), 'data-hit': i, 'data-passage': p.id, 'data-score': x.score },
    h('div', { class: 'row' }, h('strong', {}, '#' + (i + 1)), h('span', { class: 'mono', 'data-testid': 'score' }, 'score ' + x.score.toFixed(4)),
      h('span', { class: 'badge ' + p.status }, p.status), p.key ? h('span', { class: 'badge' }, 'key ' + p.key) : null,
      h('a', { href: '#/agents/' + enc(id) + '/validity/' + enc(p.id), class: 'mono' }, p.id)),
    h('div', {}, p.text),
    p.context ? h('div', { class: 'muted', 'data-testid': 'context' }, 'context: ' + p.context) : null,
    suppressed || p.possibly_superseded_by ? await why(id, p) : null,
    h('div', { class: 'bars' }, PARTS.map((k) => [
      h('span', {}, k),
      h('div', { class: 'bar ' + k }, h('span', { style: 'width:' + Math.max(0, Math.min(1, x.scores[k])) * 100 + '%' })),
      h('span', { class: 'mono', 'data-part': k }, x.scores[k].toFixed(3))])),
    h('div', { class: 'muted' }, 'valid from ' + fmtTime(p.valid_from) + (p.valid_to ? ' to ' + fmtTime(p.valid_to) : '') + ' · stored ' + fmtTime(p.created_at)));
}

// why says what suppressed a passage: the passage that superseded it, or the invalidation's cause
// (from its history).
async function why(id, p) {
  const link = (pid) => h('a', { href: '#/agents/' + enc(id) + '/validity/' + enc(pid), class: 'mono' }, pid);
  if (p.status === 'superseded' && p.superseded_by) return h('div', { class: 'why' }, 'superseded by ', link(p.superseded_by));
  if (p.status === 'expired') return h('div', { class: 'why' }, 'expired at ' + fmtTime(p.valid_to));
  if (p.status === 'valid') return h('div', { class: 'why' }, 'possibly superseded by ', link(p.possibly_superseded_by),
    ' (confidence ' + (p.supersession_confidence || 0).toFixed(2) + '; a soft penalty, still valid)');
  try {
    const hist = await api('GET', agentPath(id) + '/archival/' + enc(p.id) + '/history');
    const e = hist.items.filter((e) => e.to_status === p.status).pop();
    if (e) return h('div', { class: 'why' }, p.status + ' at ' + fmtTime(e.at) + (e.cause ? ' by ' + e.cause : ''),
      e.superseded_by ? [' (superseded by ', link(e.superseded_by), ')'] : null);
  } catch (err) { /* the reason is extra; the hit shows without it */ }
  return h('div', { class: 'why' }, p.status);
}
