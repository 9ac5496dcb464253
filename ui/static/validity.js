// Validity: a passage's chain (what it superseded and what superseded it) on a time axis —
// valid_from to valid_to, with the record time marked — an as-of slider that shows which link
// was valid then, the passage's history, and invalidate / restore.
import { api, agentPath, enc } from './api.js';
import { h, s, fmtTime } from './dom.js';

const MAX_CHAIN = 25;

export async function renderValidity(el, { id, arg, alive, reload }) {
  const find = h('input', { name: 'find', size: 40, placeholder: 'search passages (text or key words)' });
  const pid = h('input', { name: 'passage', size: 34, placeholder: 'or a passage id', value: arg || '' });
  const found = h('div', {});
  el.append(h('form', { class: 'card row', onsubmit: async (e) => {
    e.preventDefault();
    if (pid.value && pid.value !== arg) { location.hash = '#/agents/' + enc(id) + '/validity/' + enc(pid.value.trim()); return; }
    if (!find.value) return;
    const r = await api('POST', agentPath(id) + '/archival/search', { query: find.value, k: 20, include_invalid: true });
    found.replaceChildren(h('table', {}, h('tbody', {}, r.results.map((x) => h('tr', {},
      h('td', {}, h('a', { href: '#/agents/' + enc(id) + '/validity/' + enc(x.passage.id), class: 'mono' }, x.passage.id)),
      h('td', {}, h('span', { class: 'badge ' + x.passage.status }, x.passage.status)), h('td', {}, x.passage.key || ''),
      h('td', {}, x.passage.text))))));
  } }, find, pid, h('button', { type: 'submit' }, 'Open')), found);
  if (!arg) { el.append(h('p', { class: 'muted' }, 'Pick a passage: search for it, or open one from the search lab.')); return; }

  const p = await api('GET', agentPath(id) + '/archival/' + enc(arg));
  const chain = await walk(id, p);
  const hist = await api('GET', agentPath(id) + '/archival/' + enc(arg) + '/history');
  if (!alive()) return;

  const status = h('span', { class: 'muted' });
  const reason = h('input', { name: 'reason', size: 40, placeholder: 'why it is no longer true' });
  const by = h('input', { name: 'superseded_by', size: 30, placeholder: 'superseded by (optional passage id)' });
  const act = (fn) => async () => { try { await fn(); reload(); } catch (err) { status.textContent = err.message; } };
  el.append(h('div', { class: 'card', 'data-passage': p.id },
    h('div', { class: 'row' }, h('strong', { class: 'mono' }, p.id), h('span', { class: 'badge ' + p.status, 'data-testid': 'status' }, p.status),
      p.key ? h('span', { class: 'badge' }, 'key ' + p.key) : null, h('span', { class: 'badge' }, 'source ' + p.source)),
    h('p', {}, p.text),
    p.context ? h('p', { class: 'muted', 'data-testid': 'context' }, 'context: ' + p.context) : null,
    h('div', { class: 'muted' }, 'valid from ' + fmtTime(p.valid_from) + ' to ' + (p.valid_to ? fmtTime(p.valid_to) : 'now') + ' · recorded ' + fmtTime(p.created_at)),
    h('div', { class: 'row', style: 'margin-top:8px' },
      p.status === 'valid' ? [reason, by, h('button', { class: 'primary', 'data-action': 'invalidate', onclick: act(() =>
        api('POST', agentPath(id) + '/archival/' + enc(p.id) + '/invalidate', { reason: reason.value || 'invalidated in the inspector',
          ...(by.value ? { superseded_by: by.value.trim() } : {}) })) }, 'Invalidate')]
        : h('button', { class: 'primary', 'data-action': 'restore', onclick: act(() => api('POST', agentPath(id) + '/archival/' + enc(p.id) + '/restore')) }, 'Restore'),
      status)));

  el.append(h('h2', {}, 'Chain (' + chain.length + (chain.length === 1 ? ' passage' : ' passages') + ')'), timeAxis(id, chain, p.id));
  el.append(h('h2', {}, 'History of ' + p.id),
    h('table', { 'data-testid': 'history' }, h('thead', {}, h('tr', {}, ['at', 'action', 'status', 'superseded by', 'cause'].map((c) => h('th', {}, c)))),
      h('tbody', {}, hist.items.map((e) => h('tr', { 'data-history': e.seq }, h('td', { class: 'muted' }, fmtTime(e.at)), h('td', {}, e.action),
        h('td', {}, (e.from_status ? e.from_status + ' → ' : '') + e.to_status), h('td', { class: 'mono' }, e.superseded_by || ''), h('td', {}, e.cause || ''))))));
}

// walk follows supersedes back and superseded_by forward, at most MAX_CHAIN passages. A passage
// with a key also gathers the other passages of that key that a search finds (the API has no
// lookup by key), and the chain is ordered by valid_from.
async function walk(id, p) {
  const get = (pid) => api('GET', agentPath(id) + '/archival/' + enc(pid)).catch(() => null);
  const byID = new Map([[p.id, p]]);
  if (p.key) {
    const q = p.text + ' ' + p.key.replace(/[/_.:-]+/g, ' ');
    const r = await api('POST', agentPath(id) + '/archival/search', { query: q, k: 50, include_invalid: true }).catch(() => ({ results: [] }));
    for (const x of r.results) if (x.passage.key === p.key && byID.size < MAX_CHAIN) byID.set(x.passage.id, x.passage);
  }
  const queue = [...byID.values()];
  while (queue.length && byID.size < MAX_CHAIN) {
    const cur = queue.shift();
    for (const next of [cur.supersedes, cur.superseded_by]) {
      if (!next || byID.has(next)) continue;
      const n = await get(next);
      if (n) { byID.set(n.id, n); queue.push(n); }
    }
  }
  return [...byID.values()].sort((a, b) => Date.parse(a.valid_from) - Date.parse(b.valid_from));
}

function timeAxis(id, chain, selected) {
  const now = Date.now();
  const ts = chain.flatMap((p) => [Date.parse(p.valid_from), Date.parse(p.created_at), p.valid_to ? Date.parse(p.valid_to) : now]);
  let t0 = Math.min(...ts), t1 = Math.max(now, ...ts);
  const pad = (t1 - t0) * 0.05 || 1000;
  t0 -= pad; t1 += pad;
  const W = 1000, rowH = 30, H = 44 + rowH * chain.length;
  const x = (t) => 150 + ((W - 170) * (t - t0)) / (t1 - t0);
  const svg = s('svg', { class: 'chain', viewBox: '0 0 ' + W + ' ' + H, 'data-testid': 'chain' });
  chain.forEach((p, i) => {
    const y = 10 + i * rowH;
    const from = x(Date.parse(p.valid_from)), to = x(p.valid_to ? Date.parse(p.valid_to) : now);
    const a = s('a', { href: '#/agents/' + enc(id) + '/validity/' + enc(p.id) },
      s('text', { x: 4, y: y + 14 }, p.text.length > 24 ? p.text.slice(0, 23) + '…' : p.text),
      s('rect', { x: from, y: y + 2, width: Math.max(2, to - from), height: 16, rx: 3, class: 'p-' + p.status + (p.id === selected ? ' sel' : '') },
        s('title', {}, p.text)),
      s('rect', { x: x(Date.parse(p.created_at)) - 1, y: y, width: 3, height: 20, class: 'rec' }, s('title', {}, 'recorded ' + fmtTime(p.created_at))));
    svg.append(a);
  });
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    svg.append(s('text', { x: x(t), y: H - 6, 'text-anchor': ['start', 'middle', 'middle', 'middle', 'end'][i], class: 'tick' }, new Date(t).toISOString().slice(0, 10)));
  }
  const line = s('line', { x1: x(now), x2: x(now), y1: 0, y2: H - 20, class: 'asof' });
  svg.append(line);
  const slider = h('input', { type: 'range', min: t0, max: t1, step: 1000, value: now, 'data-testid': 'asof' });
  const out = h('div', { class: 'muted' });
  const update = () => {
    const t = Number(slider.value);
    line.setAttribute('x1', x(t)); line.setAttribute('x2', x(t));
    const valid = chain.filter((p) => p.status !== 'invalidated' && Date.parse(p.valid_from) <= t && (!p.valid_to || t < Date.parse(p.valid_to)));
    const known = valid.filter((p) => Date.parse(p.created_at) <= t);
    out.textContent = 'As of ' + fmtTime(new Date(t).toISOString()) + ': ' + (valid.length ? valid.map((p) => p.text).join(' | ') : 'nothing in this chain was valid') +
      (valid.length && known.length < valid.length ? ' (not yet recorded then)' : '');
  };
  slider.addEventListener('input', update);
  update();
  return h('div', { class: 'card' }, svg, slider, out,
    h('div', { class: 'muted' }, 'Bars: valid_from → valid_to (green valid, grey superseded or expired, red invalidated); black tick: when recorded.'));
}
