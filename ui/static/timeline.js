// Timeline: a page of messages and the pager's events (memory pressure, eviction, compaction
// queued and done, summaries) on one time axis. Each summary links to the messages it came from.
// Paged by seq on the server (#/agents/{id}/timeline/{after_seq}[/{summary_id}]).
import { api, agentPath, enc } from './api.js';
import { h, s, fmtTime, clip } from './dom.js';

const PAGE = 50;

export async function renderTimeline(el, { id, args, alive }) {
  const after = Math.max(0, parseInt(args[0] || '0', 10) || 0);
  const highlight = args[1] || '';
  const [msgs, jobs, sums] = await Promise.all([
    api('GET', agentPath(id) + '/messages?limit=' + PAGE + (after ? '&cursor=' + after : '')),
    api('GET', agentPath(id) + '/compactions?limit=1000').catch(() => ({ items: [] })),
    api('GET', agentPath(id) + '/summaries'),
  ]);
  if (!alive()) return;
  const page = msgs.items;
  const lo = page.length ? page[0].seq : after + 1;
  const hi = msgs.next_cursor ? page[page.length - 1].seq : Infinity;
  const overlaps = (from, through) => through >= lo && from <= hi;
  const sources = new Set();
  const hlSummary = sums.items.find((x) => x.id === highlight);
  if (hlSummary) for (const m of hlSummary.source_message_ids) sources.add(m);

  const items = [];
  for (const m of page) {
    const pressure = m.role === 'system' && m.name === 'memsvc' && m.content.startsWith('Memory pressure');
    items.push({ at: m.created_at, seq: m.seq, kind: pressure ? 'pressure' : 'message', m });
  }
  for (const j of jobs.items) {
    if (!overlaps(j.from_seq, j.through_seq)) continue;
    items.push({ at: j.created_at, seq: j.through_seq + 0.1, kind: 'queued', j });
    if (j.finished_at) items.push({ at: j.finished_at, seq: j.through_seq + 0.3, kind: 'done', j });
  }
  for (const x of sums.items) {
    if (overlaps(x.from_seq, x.through_seq)) items.push({ at: x.created_at, seq: x.through_seq + 0.2, kind: 'summary', x });
  }
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq));

  const nav = h('div', { class: 'pager' },
    h('a', { href: '#/agents/' + enc(id) + '/timeline/' + Math.max(0, after - PAGE) }, h('button', { disabled: after === 0 }, '← Older')),
    h('span', { class: 'muted' }, page.length ? 'messages seq ' + lo + '–' + page[page.length - 1].seq : 'no messages'),
    msgs.next_cursor ? h('a', { href: '#/agents/' + enc(id) + '/timeline/' + msgs.next_cursor }, h('button', {}, 'Newer →')) : null,
    hlSummary ? h('span', { class: 'badge' }, 'showing the sources of ' + hlSummary.id) : null);
  el.append(nav, axis(items));
  const rows = h('div', { 'data-testid': 'timeline' });
  for (const it of items) rows.append(row(id, it, sources));
  if (!items.length) rows.append(h('p', { class: 'muted' }, 'Nothing on this page.'));
  el.append(rows);
}

function row(id, it, sources) {
  const when = h('div', { class: 'when' }, fmtTime(it.at));
  switch (it.kind) {
    case 'message':
    case 'pressure': {
      const m = it.m;
      return h('div', {
        class: 'tl-row' + (m.in_context ? '' : ' evicted') + (it.kind === 'pressure' ? ' event' : '') + (sources.has(m.id) ? ' highlight' : ''),
        'data-seq': m.seq, 'data-msg': m.id, 'data-in-context': m.in_context ? '1' : '0',
      }, when, h('div', {}, '#' + m.seq),
      h('div', {}, h('span', { class: 'badge' }, m.role),
        m.in_context ? h('span', { class: 'badge in-context' }, 'in context') : h('span', { class: 'badge evicted' }, 'evicted'),
        it.kind === 'pressure' ? h('span', { class: 'badge warn', 'data-event': 'memory_pressure' }, 'memory pressure') : null,
        m.pinned ? h('span', { class: 'badge' }, 'pinned') : null,
        h('span', { class: 'muted' }, m.tokens + ' tokens'),
        h('div', { class: 'content' }, clip(m.content, 400))));
    }
    case 'queued': {
      const j = it.j;
      const what = j.reason === 'evicted' ? 'evicted seq ' + j.from_seq + '–' + j.through_seq + ' · compaction queued'
        : 'compaction requested for seq ' + j.from_seq + '–' + j.through_seq;
      return h('div', { class: 'tl-row event', 'data-event': j.reason === 'evicted' ? 'evicted' : 'compaction_queued', 'data-job': j.id },
        when, h('div', {}, '▼'), h('div', {}, h('strong', {}, what), ' ', h('span', { class: 'mono muted' }, j.id)));
    }
    case 'done': {
      const j = it.j;
      return h('div', { class: 'tl-row event', 'data-event': 'compaction_done', 'data-job': j.id }, when, h('div', {}, '✓'),
        h('div', {}, h('span', { class: 'badge ' + j.status }, j.status), 'compaction ', h('span', { class: 'mono' }, j.id),
          ' · ' + j.tokens_in + ' tokens in → ' + j.tokens_out + ' out',
          j.retention !== null ? ' · retention ' + Math.round(100 * j.retention) + '%' : '',
          j.covered_by ? ' · covered by ' + j.covered_by : '', j.error ? ' · ' + j.error : ''));
    }
    case 'summary': {
      const x = it.x;
      return h('div', { class: 'tl-row event summary-ev', 'data-event': 'summarized', 'data-summary': x.id }, when, h('div', {}, 'Σ'),
        h('div', {}, h('strong', {}, 'summary '), h('span', { class: 'mono' }, x.id), ' ',
          h('span', { class: 'badge ' + (x.status === 'stale' ? 'warn' : 'ok') }, x.status || 'valid'),
          ' from ', h('a', { href: '#/agents/' + enc(id) + '/timeline/' + Math.max(0, x.from_seq - 1) + '/' + enc(x.id), 'data-sources': x.id },
            x.source_message_ids.length + ' messages, seq ' + x.from_seq + '–' + x.through_seq),
          h('pre', {}, clip(x.text, 600))));
    }
  }
}

// axis draws every item of the page on one time axis: messages (evicted ones faded) above,
// events below.
function axis(items) {
  const W = 1000, H = 54;
  const svg = s('svg', { class: 'axis', viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', 'data-testid': 'axis' });
  if (!items.length) return svg;
  const t0 = Date.parse(items[0].at), t1 = Date.parse(items[items.length - 1].at);
  const x = (t) => 10 + ((W - 20) * (t1 > t0 ? Date.parse(t) - t0 : 0)) / (t1 > t0 ? t1 - t0 : 1);
  svg.append(s('line', { x1: 10, x2: W - 10, y1: 30, y2: 30, stroke: '#aab2bd' }));
  for (const it of items) {
    const cx = x(it.at);
    if (it.kind === 'message') {
      svg.append(s('rect', { x: cx - 1, y: 8, width: 2, height: 20, fill: it.m.in_context ? '#0984e3' : '#d8a7a7' }, s('title', {}, '#' + it.m.seq)));
    } else {
      const color = { pressure: '#e1a100', queued: '#d63031', done: '#2d9d5b', summary: '#0984e3' }[it.kind];
      svg.append(s('circle', { cx, cy: 42, r: 5, fill: color }, s('title', {}, it.kind)));
    }
  }
  svg.append(s('text', { x: 12, y: 52, 'font-size': 9, fill: '#6b7480' }, fmtTime(items[0].at)));
  svg.append(s('text', { x: W - 12, y: 52, 'font-size': 9, fill: '#6b7480', 'text-anchor': 'end' }, fmtTime(items[items.length - 1].at)));
  return svg;
}
