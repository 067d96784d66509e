// Models: released versions with the rendered card, signature record, revocations
// marked, and the exact pull command a trust copies; validators may revoke.

import {h, mount, table, badge, time, num, short, errorBox} from '../dom.js';
import {get, post} from '../api.js';
import {clinical} from '../report.js';
import {action} from '../actions.js';

export async function render(main, _params, {signal, allowed}) {
  const list = await get('/v1/models', signal);
  const detail = h('section', {id: 'model'});
  mount(main, h('h1', null, 'Models'),
    list.length ? table(['model', 'latest', 'versions', 'released'], list.map(m => [
      h('a', {href: '#', class: 'model-link', 'data-model': m.name, onclick: e => { e.preventDefault(); show(detail, m.name, signal, allowed); }}, m.name),
      `v${m.latest_version}${m.latest?.revoked ? ' (revoked)' : ''}`, m.versions, time(m.latest?.created_at)])) : h('p', {class: 'muted'}, 'No model released yet.'),
    detail);
  if (list.length) await show(detail, list[0].name, signal, allowed);
}

async function show(el, name, signal, allowed) {
  const versions = await get(`/v1/models/${encodeURIComponent(name)}/versions`, signal);
  const card = h('div', {id: 'card'});
  mount(el, h('h2', null, name),
    table(['version', 'state', 'checkpoint step', 'approver', 'key', 'released', ''], versions.map(v => [
      h('a', {href: '#', class: 'version-link', onclick: e => { e.preventDefault(); showCard(card, v, signal); }}, `v${v.version}`),
      v.revoked ? h('span', {class: 'revoked'}, badge('revoked'), ' ', v.revoked_reason, ' ', time(v.revoked_at)) : badge('released'),
      v.checkpoint_step, v.approver, h('code', null, short(v.approver_key)), time(v.created_at),
      !v.revoked && allowed(['validator']) ? action('Revoke', {confirmText: `Revoke ${name} v${v.version}? Trusts will refuse it.`, reason: true,
        run: reason => post(`/v1/models/${encodeURIComponent(name)}/versions/${v.version}/revoke`, {reason}),
        done: () => show(el, name, signal, allowed)}) : '',
    ])), card);
  const live = versions.filter(v => !v.revoked);
  await showCard(card, live[live.length - 1] || versions[versions.length - 1], signal);
}

async function showCard(el, v, signal) {
  const pull = `dxtrain models pull ${v.name}@${v.version} --pubkey ${v.approver || 'approver'}.pub --out ./${v.name}-v${v.version}`;
  const copy = h('button', {class: 'copy', onclick: () => navigator.clipboard?.writeText(pull)}, 'Copy');
  mount(el, h('h3', null, `${v.name} v${v.version}`, ' ', v.revoked ? badge('revoked') : null),
    h('p', null, 'Pull and verify: ', h('code', {id: 'pull-command'}, pull), ' ', copy),
    h('p', {class: 'muted', id: 'signature'}, `Signed by ${v.approver} with key ${v.approver_key}; statement sha256 ${short(v.statement_sha256)}…, signature sha256 ${short(v.signature_sha256)}…. `,
      'The pull command verifies the signature against the approver\'s public key offline.'));
  if (v.revoked) {
    el.append(h('p', {class: 'error'}, `Revoked: ${v.revoked_reason}. The server refuses its files.`));
    return;
  }
  try {
    const c = await get(`/v1/models/${encodeURIComponent(v.name)}/versions/${v.version}/files/card.json`, signal);
    el.append(renderCard(c));
  } catch (err) {
    el.append(errorBox(err));
  }
}

function renderCard(c) {
  const ev = typeof c.evaluation === 'object' && c.evaluation?.overall ? clinical(c.evaluation) : null;
  return h('article', {class: 'card model-card'},
    h('dl', {class: 'facts'},
      [['intended use', c.intended_use], ['intended users', c.intended_users], ['architecture', c.architecture],
        ['runtime', c.runtime || 'native'], ['classes', (c.classes || []).join(', ')], ['positive class', c.positive_class],
        ['features', (c.features || []).length || 'image'], ['dataset', c.dataset?.description],
        ['dataset manifest', c.dataset?.manifest_sha256], ['seed', c.training?.seed], ['created', c.created_at],
        ['code version', c.code_version]].map(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '')])),
    h('h4', null, 'Limitations'), h('ul', null, (c.limitations || []).map(l => h('li', null, l))),
    ev);
}
