// Checkpoints of one experiment: the lineage drawn as a graph (parents across
// restarts), each checkpoint with its step, metrics, marks and last replay, and the
// clinical report of an evaluated one with its ROC curve and reliability diagram.

import {h, s, mount, table, badge, time, num, short, errorBox} from '../dom.js';
import {get, post} from '../api.js';
import {clinical} from '../report.js';
import {action} from '../actions.js';

export async function render(main, [id], {signal, allowed}) {
  const eid = encodeURIComponent(id);
  const [exp, cps, attempts, models] = await Promise.all([
    get(`/v1/experiments/${eid}?series_since=9223372036854775807`, signal), // no series: not drawn here
    get(`/v1/experiments/${eid}/checkpoints`, signal),
    get(`/v1/experiments/${eid}/attempts`, signal),
    loadReleases(signal),
  ]);
  const detail = h('section', {id: 'checkpoint'});
  const graph = lineage(cps, attempts, models, c => showCheckpoint(detail, c, models, signal, allowed));
  mount(main, h('h1', null, 'Checkpoints of ', h('a', {href: `#/experiments/${eid}`}, exp.name || exp.id)),
    cps.length ? graph : h('p', {class: 'muted'}, 'No checkpoint committed yet.'),
    cps.length ? table(['step', 'attempt', 'manifest', 'marks', 'last replay', 'created'], cps.map(c => [
      h('a', {href: '#', class: 'cp-link', 'data-step': c.step, onclick: e => { e.preventDefault(); showCheckpoint(detail, c, models, signal, allowed); }}, String(c.step)),
      attemptNumber(attempts, c.attempt_id), h('code', null, short(c.manifest_hash.replace('sha256:', ''))),
      marks(c, models), replayText(c), time(c.created_at)])) : null,
    detail);
  if (cps.length) showCheckpoint(detail, cps[cps.length - 1], models, signal, allowed);
}

// loadReleases maps checkpoint ID → released model versions ("name@v").
async function loadReleases(signal) {
  const out = {};
  try {
    for (const m of await get('/v1/models', signal)) {
      const name = m.name || m;
      for (const v of await get(`/v1/models/${encodeURIComponent(name)}/versions`, signal)) {
        (out[v.checkpoint_id] ||= []).push(`${v.name}@${v.version}${v.revoked ? ' (revoked)' : ''}`);
      }
    }
  } catch { /* a role without models sees no release marks */ }
  return out;
}

const attemptNumber = (attempts, aid) => (attempts.find(a => a.id === aid) || {}).number ?? '?';

function marks(c, models) {
  return h('span', {class: 'marks'},
    c.pinned ? badge('pinned') : null, c.suspect ? badge('suspect') : null,
    c.refused ? badge('refused') : null, models[c.id] ? badge('released') : null);
}

function replayText(c) {
  const r = c.last_replay;
  return r ? h('span', null, badge(r.result), ' ', r.detail || '', ' ', time(r.time)) : h('span', {class: 'muted'}, 'not replayed');
}

// parents: within an attempt a checkpoint's parent is the one before it; an
// attempt's first checkpoint descends from the checkpoint the attempt resumed from.
export function parents(cps, attempts) {
  const byAttempt = {};
  for (const c of [...cps].sort((a, b) => a.create_index - b.create_index)) (byAttempt[c.attempt_id] ||= []).push(c);
  const out = {};
  for (const [aid, list] of Object.entries(byAttempt)) {
    const a = attempts.find(x => x.id === aid) || {};
    // Where the agent really resumed from, else where it was told to; "scratch": none.
    const from = a.resumed_from === 'scratch' ? null : (a.resumed_from || a.resume_from || null);
    list.forEach((c, i) => { out[c.id] = i ? list[i - 1].id : (from || null); });
  }
  return out;
}

function lineage(cps, attempts, models, select) {
  const par = parents(cps, attempts);
  const lanes = [...new Set(cps.map(c => attemptNumber(attempts, c.attempt_id)))].sort((a, b) => a - b);
  const maxStep = Math.max(...cps.map(c => c.step), 1);
  const w = 720, lane = 56, pad = 40;
  const pos = {};
  cps.forEach(c => {
    pos[c.id] = {x: pad + c.step / maxStep * (w - 2 * pad), y: 28 + lanes.indexOf(attemptNumber(attempts, c.attempt_id)) * lane};
  });
  const edges = cps.filter(c => par[c.id] && pos[par[c.id]]).map(c => {
    const a = pos[par[c.id]], b = pos[c.id];
    return s('line', {class: 'edge', x1: a.x, y1: a.y, x2: b.x, y2: b.y});
  });
  const nodes = cps.map(c => {
    const p = pos[c.id];
    const cls = ['cp', c.pinned && 'pinned', c.suspect && 'suspect', c.refused && 'refused', models[c.id] && 'released',
      c.last_replay && 'replay-' + c.last_replay.result].filter(Boolean).join(' ');
    return s('g', {class: cls, 'data-step': c.step, tabindex: 0, onclick: () => select(c)},
      s('circle', {cx: p.x, cy: p.y, r: 9}),
      s('text', {x: p.x, y: p.y + 24, 'text-anchor': 'middle'}, String(c.step)),
      s('title', null, `step ${c.step}${c.pinned ? ', pinned' : ''}${c.suspect ? ', suspect' : ''}${models[c.id] ? ', released' : ''}`));
  });
  const labels = lanes.map((n, i) => s('text', {class: 'lane', x: 2, y: 32 + i * lane}, `#${n}`));
  return s('svg', {id: 'lineage', width: w, height: lanes.length * lane + 20, role: 'img', 'aria-label': 'checkpoint lineage'}, labels, edges, nodes);
}

async function showCheckpoint(el, c, models, signal, allowed) {
  const report = h('div', {id: 'report'}, h('p', {class: 'muted'}, 'Reading the clinical report…'));
  const cid = encodeURIComponent(c.id);
  mount(el, h('h2', null, `Step ${c.step}`, ' ', marks(c, models)),
    h('dl', {class: 'facts'},
      [h('dt', null, 'manifest'), h('dd', null, h('code', null, c.manifest_hash))],
      Object.entries(c.metrics || {}).sort().map(([k, v]) => [h('dt', null, k), h('dd', null, num(v))]),
      [h('dt', null, 'last replay'), h('dd', {id: 'last-replay'}, replayText(c))],
      models[c.id] ? [h('dt', null, 'released as'), h('dd', null, models[c.id].join(', '))] : null),
    allowed(['validator']) ? action(c.pinned ? 'Unpin' : 'Pin', {confirmText: `${c.pinned ? 'Unpin' : 'Pin'} step ${c.step}?`,
      run: () => post(`/v1/checkpoints/${cid}/flag`, {pinned: !c.pinned})}) : null,
    report);
  try {
    mount(report, clinical(await get(`/v1/checkpoints/${cid}/report`, signal)));
  } catch (err) {
    mount(report, h('p', {class: 'muted'}, err.status === 404 ? `Not evaluated: dxtrain checkpoints evaluate ${c.experiment_id} --step ${c.step}` : String(err.message)));
  }
}
