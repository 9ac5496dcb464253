// Bench: the JSON of `memsvc bench <suite> --json`, loaded from a file into the page (nothing is
// uploaded), shown as tables with a bar in every numeric cell, scaled to its column's largest.
import { h } from './dom.js';

export async function renderBench(el) {
  const out = h('div', { 'data-testid': 'bench' });
  const file = h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'benchfile' });
  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f) return;
    try { out.replaceChildren(render(f.name, JSON.parse(await f.text()))); } catch (err) { out.replaceChildren(h('p', { class: 'why' }, f.name + ': ' + err.message)); }
  });
  el.append(h('h1', {}, 'Bench results'),
    h('div', { class: 'card' }, h('p', {}, 'Load the output of ', h('code', {}, 'memsvc bench locomo --json > locomo.json'),
      ' (or stale, load): its tables (R@k by mode, ablations, the corpus-size ladder) are drawn here.'), file), out);
}

const isRow = (v) => v && typeof v === 'object' && !Array.isArray(v);
const scalar = (x) => x === null || typeof x !== 'object' || (Array.isArray(x) && x.every((y) => y === null || typeof y !== 'object'));
const flat = (v) => isRow(v) && Object.values(v).every(scalar);

function render(name, v, depth = 0) {
  if (Array.isArray(v) && v.length && v.every(flat)) return table(name, v);
  // An object of flat rows (categories, variants, ladder sizes) is one table, keyed by name.
  if (isRow(v) && Object.keys(v).length && Object.values(v).every(flat)) return table(name, Object.entries(v).map(([k, x]) => ({ '': k, ...x })));
  // bench locomo: R@k by mode first, then each mode's detail.
  if (depth === 0 && isRow(v) && isRow(v.modes) && Object.values(v.modes).every((m) => flat(m.overall))) {
    const { modes, ...rest } = v;
    return h('div', {}, render(name, rest, 0),
      table('R@k by mode (categories 1–4)', Object.entries(modes).map(([k, m]) => ({ mode: k, ...m.overall }))),
      render('modes', modes, 1));
  }
  if (Array.isArray(v)) return h('div', {}, h('h2', {}, name), v.map((x, i) => render(name + '[' + i + ']', x, depth + 1)));
  if (isRow(v)) {
    const scalars = Object.entries(v).filter(([, x]) => scalar(x));
    const rest = Object.entries(v).filter(([, x]) => !scalar(x));
    const numericMap = rest.filter(([, x]) => isRow(x) && Object.values(x).every((y) => typeof y === 'number'));
    return h('div', { class: depth ? '' : 'card' }, h(depth ? 'h2' : 'h1', {}, name),
      scalars.length ? h('table', {}, h('tbody', {}, scalars.map(([k, x]) => h('tr', {}, h('th', {}, k), h('td', { class: 'mono' }, fmt(x)))))) : null,
      numericMap.length ? table('', numericMap.map(([k, x]) => ({ name: k, ...x }))) : null,
      rest.filter((e) => !numericMap.includes(e)).map(([k, x]) => render(k, x, depth + 1)));
  }
  return h('div', {}, name + ': ' + fmt(v));
}

function table(name, rows) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const text = keys.filter((c) => rows.some((r) => typeof r[c] === 'string'));
  const cols = [...text, ...keys.filter((c) => !text.includes(c)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))];
  const max = Object.fromEntries(cols.map((c) => [c, Math.max(0, ...rows.map((r) => (typeof r[c] === 'number' ? Math.abs(r[c]) : 0)))]));
  return h('div', { class: 'scroll' }, name ? h('h2', {}, name) : null, h('table', {},
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, cols.map((c) => typeof r[c] === 'number'
      ? h('td', { class: 'num' }, h('span', { class: 'cellbar', style: 'width:' + (max[c] ? (40 * Math.abs(r[c])) / max[c] : 0) + 'px' }), fmt(r[c]))
      : h('td', {}, fmt(r[c]))))))));
}

const fmt = (x) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(3)) : x === null || x === undefined ? '—' : Array.isArray(x) ? x.join(', ') : String(x));
