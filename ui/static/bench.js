// Bench: the JSON of `memsvc bench <suite> --json`, loaded from a file into the page (nothing is
// uploaded), shown as tables with a bar in every numeric cell, scaled to its column's largest.
import { h, s } from './dom.js';

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
    const recall = Object.entries(modes).map(([k, m]) => ({ name: k, points: Object.entries(m.overall)
      .filter(([c, y]) => /^R@\d+$/.test(c) && typeof y === 'number').map(([c, y]) => [Number(c.slice(2)), y]) }));
    return h('div', {}, plot(name + ': R@k by mode (categories 1–4)', recall, 'k', 'R@k', true),
      table('R@k by mode (categories 1–4)', Object.entries(modes).map(([k, m]) => ({ mode: k, ...m.overall }))),
      render(name, rest, 0), render('modes', modes, 1));
  }
  // bench load: the corpus-size ladder, p95 search latency by mode against passages.
  if (depth === 0 && isRow(v) && Array.isArray(v.ladder) && v.ladder.length && v.ladder.every((st) => isRow(st.modes))) {
    const { ladder, ...rest } = v;
    const modes = [...new Set(ladder.flatMap((st) => Object.keys(st.modes)))];
    const series = modes.map((m) => ({ name: m, points: ladder.filter((st) => st.modes[m]).map((st) => [st.passages, st.modes[m].p95]) }));
    return h('div', {}, plot(name + ': search p95 (ms) by corpus size', series, 'passages', 'p95 ms', true), render(name, rest, 0),
      table('ladder', ladder.flatMap((st) => Object.entries(st.modes).map(([m, l]) => ({ passages: st.passages, mode: m, ...l,
        fill_seconds: st.fill_seconds, insert_rps: st.insert_rps })))));
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

const COLORS = ['#0984e3', '#00a389', '#e17055', '#6c5ce7', '#e1a100', '#d63031'];

// plot draws series of [x, y] points as lines, one color per series (x on a log scale when logx).
function plot(title, series, xlabel, ylabel, logx) {
  const pts = series.flatMap((se) => se.points);
  if (!pts.length) return null;
  const W = 640, H = 260, L = 50, R = 130, T = 14, B = 36;
  const fx = logx ? Math.log10 : (v) => v;
  const xs = pts.map(([x]) => fx(x)), ys = pts.map(([, y]) => y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y1 = Math.max(...ys) || 1;
  const X = (x) => L + ((W - L - R) * (fx(x) - x0)) / (x1 - x0 || 1);
  const Y = (y) => H - B - ((H - T - B) * y) / y1;
  const svg = s('svg', { class: 'plot', viewBox: '0 0 ' + W + ' ' + H, 'data-testid': 'plot' });
  svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#aab2bd' }), s('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#aab2bd' }));
  for (const x of [...new Set(pts.map(([x]) => x))]) svg.append(s('text', { x: X(x), y: H - B + 14, 'text-anchor': 'middle' }, x));
  for (const f of [0, 0.5, 1]) svg.append(s('text', { x: L - 6, y: Y(f * y1) + 4, 'text-anchor': 'end' }, +(f * y1).toPrecision(3)));
  svg.append(s('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle' }, xlabel + (logx ? ' (log scale)' : '')),
    s('text', { x: 4, y: T - 2 }, ylabel));
  series.forEach((se, i) => {
    const c = COLORS[i % COLORS.length];
    const sorted = se.points.slice().sort((a, b) => a[0] - b[0]);
    svg.append(s('polyline', { points: sorted.map(([x, y]) => X(x) + ',' + Y(y)).join(' '), fill: 'none', stroke: c, 'stroke-width': 2, 'data-series': se.name }));
    for (const [x, y] of sorted) svg.append(s('circle', { cx: X(x), cy: Y(y), r: 3, fill: c }, s('title', {}, se.name + ': ' + y)));
    svg.append(s('text', { x: W - R + 10, y: T + 14 + 16 * i, fill: c, class: 'legend' }, se.name));
  });
  return h('div', { class: 'card' }, h('h2', {}, title), svg);
}
