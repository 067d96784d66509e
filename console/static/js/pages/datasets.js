// Datasets: manifests, shard counts and sizes, and the gate's report (rules,
// columns, counts; the API never carries a value, and nothing here would show one).

import {h, mount, table, time, bytes, short, errorBox} from '../dom.js';
import {get} from '../api.js';

export async function render(main, _params, {signal}) {
  const list = await get('/v1/datasets', signal);
  const detail = h('section', {id: 'dataset'});
  mount(main, h('h1', null, 'Datasets'),
    list.length ? table(['name', 'manifest', 'shards', 'registered'], list.map(d => [
      h('a', {href: '#', class: 'dataset-link', onclick: e => { e.preventDefault(); show(detail, d, signal); }}, d.name),
      h('code', null, short(d.manifest_hash.replace('sha256:', ''))), (d.blob_hashes || []).length, time(d.created_at)])) : h('p', {class: 'muted'}, 'No dataset registered.'),
    detail);
  if (list.length) await show(detail, list[0], signal);
}

async function show(el, d, signal) {
  mount(el, h('p', {class: 'muted'}, 'Reading the manifest…'));
  let m;
  try {
    m = await get(`/v1/datasets/${encodeURIComponent(d.id)}/manifest`, signal);
  } catch (err) {
    mount(el, errorBox(err));
    return;
  }
  const parts = ['train', 'validation', 'test'].map(n => [n, (m.split || {})[n]]).filter(([, p]) => p);
  mount(el, h('h2', null, d.name),
    h('dl', {class: 'facts'},
      [['kind', m.schema?.kind], ['feature shape', (m.schema?.feature_shape || []).join(' × ')], ['source format', m.source?.format],
        ['records', m.source?.records], ['source size', bytes(m.source?.bytes)], ['created', m.created]].map(([k, v]) => [h('dt', null, k), h('dd', null, v ?? '')])),
    h('h3', null, 'Split and shards'), parts.length ? table(['part', 'records', 'shards', 'bytes'], parts.map(([name, p]) => [
      name, p.records, (p.shards || []).length, bytes((p.shards || []).reduce((n, s) => n + s.size, 0))])) : h('p', {class: 'muted'}, 'No split recorded.'),
    h('h3', null, 'Columns'), table(['column', 'role', 'stored as', 'de-identified', 'quasi-identifier'], (m.columns || []).map(c => [
      c.name, c.role || '', c.stored || 'not stored', c.transformed ? 'transformed' : '', c.quasi_identifier ? 'yes' : ''])),
    gate(m.gate, m.gate_note));
}

function gate(g, note) {
  if (!g) return h('p', {class: 'muted'}, 'No gate report.');
  const findings = g.findings || [];
  return h('section', {id: 'gate'}, h('h3', null, 'Anonymisation gate'),
    h('p', null, g.passed ? 'passed' : 'refused', ` · ${g.rows} records scanned · k = ${g.k}`, note ? ` · ${note}` : ''),
    // Rows (failing row numbers) are left out: a count and the rule are enough here.
    findings.length ? table(['rule', 'column', 'count', 'detail'], findings.map(f => [f.rule, f.column, f.count, f.detail]))
      : h('p', {class: 'muted'}, 'No finding: no rule matched.'));
}
