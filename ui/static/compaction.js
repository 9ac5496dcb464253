// Compaction: the agent's compaction jobs with their status, queue wait, duration, tokens in and
// out and the retention of pinned facts, the agent's budget in the fair scheduler, and the running
// summaries the jobs made.
import { api, agentPath, enc } from './api.js';
import { h, fmtTime, fmtDur } from './dom.js';

export async function renderCompaction(el, { id, alive, reload }) {
  const [jobs, sums, budget] = await Promise.all([api('GET', agentPath(id) + '/compactions?limit=1000'), api('GET', agentPath(id) + '/summaries'),
    api('GET', agentPath(id) + '/compaction-budget')]);
  if (!alive()) return;
  const ms = (a, b) => (a && b ? Date.parse(b) - Date.parse(a) : null);
  const done = jobs.items.filter((j) => j.status === 'succeeded');
  const sum = (f) => done.reduce((n, j) => n + f(j), 0);
  const ret = done.filter((j) => j.retention !== null);
  const status = h('span', { class: 'muted' });
  el.append(h('div', { class: 'card row' },
    h('span', {}, jobs.items.length + ' jobs, ' + done.length + ' succeeded'),
    h('span', {}, sum((j) => j.tokens_in) + ' tokens in → ' + sum((j) => j.tokens_out) + ' out'),
    ret.length ? h('span', {}, 'mean retention ' + Math.round((100 * ret.reduce((n, j) => n + j.retention, 0)) / ret.length) + '%') : null,
    h('button', { onclick: async () => { try { await api('POST', agentPath(id) + '/compactions'); reload(); } catch (err) { status.textContent = err.message; } } }, 'Compact now'),
    status));
  const b = budget;
  el.append(h('div', { class: 'card', 'data-testid': 'budget' },
    h('div', { class: 'row' }, h('strong', {}, 'Fair-scheduler budget'),
      b.throttled ? h('span', { class: 'badge warn' }, 'throttled until the next period') : h('span', { class: 'badge ok' }, 'within budget'),
      h('span', { class: 'muted' }, b.queued + ' queued · virtual time ' + b.vruntime.toFixed(0) + ' · ' + b.tokens_total + ' tokens over all time')),
    b.tokens_per_period > 0 ? h('div', { class: 'ctxbar', style: 'height:14px;margin:8px 0 4px' },
      h('div', { class: 'seg summary', style: 'width:' + Math.min(100, (100 * b.used) / b.tokens_per_period) + '%' })) : null,
    h('div', { class: 'muted' }, h('span', { 'data-budget': 'used' }, b.used), ' of ',
      h('span', { 'data-budget': 'tokens_per_period' }, b.tokens_per_period > 0 ? b.tokens_per_period : 'unlimited'),
      ' tokens used in the period from ' + fmtTime(b.period_start) + ' (' + fmtDur(b.period_seconds * 1000) + ')',
      b.remaining !== null ? '; ' + b.remaining + ' left' : '')));
  el.append(h('table', { 'data-testid': 'jobs' },
    h('thead', {}, h('tr', {}, ['job', 'reason', 'status', 'span', 'queued at', 'queue wait', 'duration', 'tokens in', 'tokens out', 'retention', 'attempts', 'summary'].map((c) => h('th', {}, c)))),
    h('tbody', {}, jobs.items.slice().reverse().map((j) => h('tr', { 'data-job': j.id },
      h('td', { class: 'mono' }, j.id), h('td', {}, j.reason), h('td', {}, h('span', { class: 'badge ' + j.status }, j.status), j.error ? h('div', { class: 'why' }, j.error) : null),
      h('td', {}, 'seq ' + j.from_seq + '–' + j.through_seq), h('td', { class: 'muted' }, fmtTime(j.created_at)),
      h('td', { class: 'num' }, fmtDur(ms(j.created_at, j.started_at))), h('td', { class: 'num' }, fmtDur(ms(j.started_at, j.finished_at))),
      h('td', { class: 'num' }, j.tokens_in), h('td', { class: 'num' }, j.tokens_out),
      h('td', { class: 'num' }, j.retention === null ? '—' : Math.round(100 * j.retention) + '%', j.missing_facts.length ? h('div', { class: 'muted' }, j.missing_facts.length + ' kept verbatim') : null),
      h('td', { class: 'num' }, j.attempts),
      h('td', {}, j.summary_id ? h('a', { class: 'mono', href: '#/agents/' + enc(id) + '/timeline/' + Math.max(0, j.from_seq - 1) + '/' + enc(j.summary_id) }, j.summary_id) : j.covered_by ? 'covered by ' + j.covered_by : '—'))))));
  if (!jobs.items.length) el.append(h('p', { class: 'muted' }, 'No compactions yet.'));
  el.append(h('h2', {}, 'Summaries (' + sums.items.length + ')'), h('div', {}, sums.items.slice().reverse().map((x) => h('div', { class: 'card' },
    h('div', { class: 'row' }, h('strong', { class: 'mono' }, x.id), h('span', { class: 'badge ' + (x.status === 'stale' ? 'warn' : 'ok') }, x.status || 'valid'),
      h('span', { class: 'muted' }, x.tokens + ' tokens · seq ' + x.from_seq + '–' + x.through_seq + ' · ' + fmtTime(x.created_at)),
      x.stale_cause ? h('span', { class: 'why' }, x.stale_cause) : null),
    h('pre', {}, x.text)))));
}
