// Context: the main context as the model receives it, a bar of tokens per section against the
// window with the warning and flush lines, and the core blocks (editable unless read-only, with
// their history and undo).
import { api, agentPath, enc } from './api.js';
import { h, fmtTime, pct } from './dom.js';

const SECTIONS = ['system', 'blocks', 'tools', 'summary', 'messages'];

export async function renderContext(el, { id, alive, reload }) {
  const [agent, ctx] = await Promise.all([api('GET', agentPath(id)), api('GET', agentPath(id) + '/context')]);
  if (!alive()) return;
  const t = ctx.tokens;
  const W = t.window;
  const bar = h('div', { class: 'ctxbar', 'data-testid': 'ctxbar' },
    SECTIONS.map((k) => h('div', { class: 'seg ' + k, title: k + ': ' + t[k] + ' tokens', style: 'width:' + (100 * t[k]) / W + '%' })),
    h('div', { class: 'mark warn', style: 'left:' + Math.min(100, 100 * agent.pager.warn_ratio) + '%' }, 'warn ' + agent.pager.warn_ratio),
    h('div', { class: 'mark flush right', style: 'right:' + (100 - Math.min(100, 100 * agent.pager.flush_ratio)) + '%' }, 'flush ' + agent.pager.flush_ratio));
  el.append(h('div', { class: 'card' },
    h('div', { class: 'row' }, h('strong', {}, agent.name || agent.id),
      h('span', { class: 'badge ' + ctx.pressure, 'data-testid': 'pressure' }, 'pressure ' + ctx.pressure),
      h('span', { class: 'muted' }, 'tokenizer ' + (agent.model || 'default (o200k-style)') + ' · keep_last ' + agent.pager.keep_last + ' · target ' + agent.pager.target_ratio)),
    bar,
    h('table', { 'data-testid': 'ctxtokens' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Section'), h('th', { class: 'num' }, 'Tokens'), h('th', { class: 'num' }, 'Share of window'))),
      h('tbody', {},
        SECTIONS.map((k) => h('tr', {}, h('td', {}, h('span', { class: 'sw ' + k }), k),
          h('td', { class: 'num', 'data-tokens': k }, t[k]), h('td', { class: 'num' }, pct(t[k], W)))),
        h('tr', {}, h('th', {}, 'total'), h('th', { class: 'num', 'data-tokens': 'total' }, t.total), h('th', { class: 'num' }, pct(t.total, W))),
        h('tr', {}, h('td', {}, 'window'), h('td', { class: 'num', 'data-tokens': 'window' }, W), h('td', {}))))));

  el.append(h('div', { class: 'grid2' },
    h('div', {}, h('h2', {}, 'Main context as sent (' + ctx.in_context + ' messages in context)'),
      ctx.messages.map((m, i) => h('div', { class: 'msg role-' + m.role, 'data-ctx-index': i },
        h('span', { class: 'badge' }, m.role), m.name ? h('span', { class: 'badge' }, m.name) : null,
        h('pre', {}, typeof m.content === 'string' ? m.content : JSON.stringify(m.content, null, 1)),
        m.tool_calls ? h('pre', { class: 'muted' }, JSON.stringify(m.tool_calls)) : null))),
    h('div', {}, h('h2', {}, 'Core memory blocks'), agent.blocks.length ? agent.blocks.map((b) => block(id, b, reload)) :
      h('p', { class: 'muted' }, 'No blocks.'))));
}

function block(id, b, reload) {
  const path = agentPath(id) + '/blocks/' + enc(b.label);
  const ta = h('textarea', { disabled: b.read_only, 'data-block': b.label, maxlength: b.limit }, b.value);
  const count = h('span', { class: 'muted' }, b.value.length + ' / ' + b.limit + ' chars');
  ta.addEventListener('input', () => { count.textContent = ta.value.length + ' / ' + b.limit + ' chars'; });
  const hist = h('div', {});
  const status = h('span', { class: 'muted' });
  const act = (fn) => async () => {
    try { await fn(); reload(); } catch (err) { status.textContent = err.message; }
  };
  return h('div', { class: 'card', 'data-block-card': b.label },
    h('div', { class: 'row' }, h('strong', {}, b.label), b.read_only ? h('span', { class: 'badge ro' }, 'read-only') : null,
      b.shared_id ? h('span', { class: 'badge' }, 'shared ' + b.shared_id) : null, count),
    b.description ? h('div', { class: 'muted' }, b.description) : null,
    ta,
    h('div', { class: 'row' },
      b.read_only ? null : h('button', { class: 'primary', onclick: act(() => api('PUT', path, { value: ta.value })) }, 'Save'),
      b.read_only ? null : h('button', { 'data-action': 'undo', onclick: act(() => api('POST', path + '/undo')) }, 'Undo last write'),
      h('button', { onclick: async () => {
        try {
          const l = await api('GET', path + '/history');
          hist.replaceChildren(l.items.length ? h('table', {}, h('tbody', {}, l.items.slice().reverse().map((e) =>
            h('tr', {}, h('td', { class: 'muted' }, fmtTime(e.at)), h('td', {}, e.action, e.undoes ? ' (undoes #' + e.undoes + ')' : ''),
              h('td', {}, h('pre', {}, e.before), '→', h('pre', {}, e.after)))))) : h('p', { class: 'muted' }, 'No writes yet.'));
        } catch (err) { status.textContent = err.message; }
      } }, 'History'), status),
    hist);
}
