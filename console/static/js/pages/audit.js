// Audit: every write, filterable by who, what and outcome (admins only; the API
// refuses everyone else).

import {h, mount, table, time, badge} from '../dom.js';
import {get} from '../api.js';

export async function render(main, _params, {signal}) {
  const who = h('input', {type: 'search', id: 'audit-who', placeholder: 'actor', 'aria-label': 'actor'});
  const what = h('input', {type: 'search', id: 'audit-what', placeholder: 'action or target', 'aria-label': 'action'});
  const outcome = h('select', {id: 'audit-outcome', 'aria-label': 'outcome'}, ['', 'ok', 'error', 'refused'].map(o => h('option', {value: o}, o || 'any outcome')));
  const body = h('section', {id: 'audit'});
  mount(main, h('h1', null, 'Audit'), h('p', {class: 'muted'}, 'The newest 5,000 entries (GET /v1/audit?after=N pages through all of them).'),
    h('div', {class: 'filters'}, who, ' ', what, ' ', outcome), body);
  const entries = await get('/v1/audit?last=5000', signal);
  const show = () => {
    const w = who.value.trim().toLowerCase(), a = what.value.trim().toLowerCase();
    const rows = entries.filter(e => (!w || e.actor.toLowerCase().includes(w)) &&
      (!a || `${e.action} ${e.target}`.toLowerCase().includes(a)) && (!outcome.value || e.outcome === outcome.value))
      .sort((x, y) => y.index - x.index);
    mount(body, table(['index', 'time', 'actor', 'action', 'target', 'outcome', 'reason or error'], rows.map(e => [
      e.index, time(e.time), e.actor, e.action, e.target, badge(e.outcome), e.reason || e.error || ''])));
  };
  for (const el of [who, what]) el.addEventListener('input', show);
  outcome.addEventListener('change', show);
  show();
}
