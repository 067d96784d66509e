// Experiments: every run, filterable by text and status, live.

import {h, mount, table, badge, time, num, errorBox} from '../dom.js';
import {watch} from '../api.js';

const statuses = ['', 'pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];

export async function render(main, _params, {signal}) {
  const text = h('input', {type: 'search', id: 'filter', placeholder: 'filter by name, ID, project', 'aria-label': 'filter'});
  const status = h('select', {id: 'status', 'aria-label': 'status'}, statuses.map(s => h('option', {value: s}, s || 'any status')));
  const body = h('section', {id: 'experiments'});
  mount(main, h('h1', null, 'Experiments'), h('div', {class: 'filters'}, text, ' ', status), body);
  let all = [];
  const show = () => {
    const q = text.value.trim().toLowerCase();
    const rows = all.filter(e => (!status.value || e.status === status.value) &&
      (!q || [e.name, e.id, e.spec?.project || 'default'].some(v => String(v || '').toLowerCase().includes(q))))
      .sort((a, b) => b.created_at - a.created_at);
    mount(body, rows.length ? table(['name', 'status', 'project', 'step', 'loss', 'restarts', 'submitted'], rows.map(e => [
      h('a', {href: `#/experiments/${encodeURIComponent(e.id)}`, class: 'exp-link'}, e.name || e.id),
      badge(e.status), e.spec?.project || 'default', e.progress?.step ?? '', num(e.progress?.loss), e.restarts, time(e.created_at),
    ]), {class: 'list'}) : h('p', {class: 'muted'}, all.length ? 'No experiment matches.' : 'No experiment yet.'));
  };
  text.addEventListener('input', show);
  status.addEventListener('change', show);
  await new Promise(resolve => {
    watch('/v1/experiments?view=summary', signal, list => { all = list; show(); resolve(); },
      err => { mount(body, errorBox(err)); resolve(); });
  });
}
