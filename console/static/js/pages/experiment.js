// One experiment: live curves of every reported metric against step (blocking
// queries, no reload), attempts on a timeline with their nodes and end reasons,
// alerts, and the actions its roles allow.

import {h, s, mount, table, badge, time, num, short, errorBox} from '../dom.js';
import {get, post, watch} from '../api.js';
import {curve, seriesData} from '../charts.js';
import {action, confirming} from '../actions.js';

// groups put metrics that share a scale on one chart.
const groups = [
  {title: 'Loss', test: n => /loss/.test(n)},
  {title: 'Accuracy and AUROC', test: n => /acc|auroc|auc|sens|spec|f1|recall|precision/.test(n)},
  {title: 'Other metrics', test: () => true},
];

// maxPoints bounds the series a page keeps: twice the server's 2,560.
const maxPoints = 5120;

export async function render(main, [id], {signal, allowed}) {
  const head = h('section', {id: 'head'});
  const controls = h('p', {id: 'controls'});
  const charts = h('section', {id: 'curves', class: 'charts'});
  const attempts = h('section', {id: 'attempts'});
  const alerts = h('section', {id: 'alerts'});
  mount(main, head, controls, charts, attempts, alerts);
  let controlsFor = null; // the status the controls were drawn for
  let drawn = null; // the metric names the charts were built for
  let figures = [];
  let series = [];  // every point received; later answers carry only newer ones
  let lastSide = 0; // when attempts and alerts were last read
  let lastSideKey = ''; // and for which status, restarts and preemptions
  const path = () => `/v1/experiments/${encodeURIComponent(id)}` +
    (series.length ? `?series_since=${series[series.length - 1].reported_at}` : '');
  await new Promise(resolve => {
    watch(path, signal, e => {
      header(head, e);
      if (e.status !== controlsFor) {
        controlsFor = e.status;
        actions(controls, e, allowed);
      }
      // reported_at is nanoseconds, past a double's exact range: an answer may repeat
      // the page's last point, which compares equal once parsed the same way.
      const lastAt = series.length ? series[series.length - 1].reported_at : -1;
      series = series.concat((e.series || []).filter(p => p.reported_at > lastAt));
      // A page left open on a long run halves its copy as the server does (every
      // other point, the newest kept), so it stays bounded and still spans the run.
      if (series.length > maxPoints) series = series.filter((_, i) => (series.length - 1 - i) % 2 === 0);
      const {names, data} = seriesData(series);
      if (drawn === null || names.join() !== drawn.join()) {
        figures = build(charts, names, data);
        drawn = names;
        performance.mark('dxtrain-curves-drawn');
      } else {
        figures.forEach(f => f.update([data[0], ...f.cols.map(i => data[i + 1])]));
      }
      charts.dataset.points = String(figures.reduce((n, f) => n + f.points(), 0));
      // Attempts and alerts change with the status, a restart or a preemption; an
      // alert may also come alone, so they are read again every 10 s as well.
      const sideKey = `${e.status} ${e.restarts} ${(e.preemptions || []).length}`;
      if (Date.now() - lastSide > 10000 || sideKey !== lastSideKey) {
        lastSide = Date.now();
        lastSideKey = sideKey;
        showAttempts(attempts, id, signal);
        showAlerts(alerts, id, signal, allowed);
      }
      resolve();
    }, err => { mount(head, errorBox(err)); resolve(); });
  });
}

function header(el, e) {
  const spec = e.spec || {};
  mount(el,
    h('h1', null, h('span', {id: 'exp-name'}, e.name || e.id), ' ', badge(e.status)),
    spec.description ? h('p', {id: 'exp-description'}, spec.description) : null,
    e.status_reason ? h('p', {class: 'muted'}, e.status_reason) : null,
    h('dl', {class: 'facts'},
      fact('ID', e.id), fact('project', spec.project || 'default'), fact('priority', spec.priority || 'normal'),
      fact('runtime', spec.runtime || 'native'), fact('step', e.progress?.step ?? 0), fact('epoch', e.progress?.epoch ?? 0),
      fact('samples/s', num(e.progress?.samples_per_sec, 5)), fact('restarts', e.restarts),
      fact('preemptions', (e.preemptions || []).length), fact('submitted', time(e.created_at))));
}

// actions are drawn apart from the header, which redraws with every report: a
// confirmation the user is answering must survive it.
function actions(el, e, allowed) {
  const terminal = ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(e.status);
  mount(el, h('a', {href: `#/experiments/${encodeURIComponent(e.id)}/checkpoints`, id: 'lineage-link'}, 'Checkpoints and lineage'),
    ' · logs: ', h('code', null, `dxtrain logs ${e.id}`),
    ' ', !terminal && allowed(['researcher']) ? action('Cancel', {confirmText: `Cancel ${e.name}?`,
      run: () => post(`/v1/experiments/${encodeURIComponent(e.id)}/cancel`)}) : null);
}

const fact = (k, v) => [h('dt', null, k), h('dd', null, v)];

function build(el, names, data) {
  const figures = [];
  const left = new Set(names);
  for (const g of groups) {
    const mine = [...left].filter(g.test);
    if (!mine.length) continue;
    mine.forEach(n => left.delete(n));
    const cols = mine.map(n => names.indexOf(n));
    const fig = curve(g.title, mine, [data[0], ...cols.map(i => data[i + 1])]);
    fig.cols = cols;
    figures.push(fig);
  }
  mount(el, figures.length ? figures : h('p', {class: 'muted'}, 'No metric reported yet.'));
  return figures;
}

async function showAttempts(el, id, signal) {
  try {
    const list = await get(`/v1/experiments/${encodeURIComponent(id)}/attempts`, signal);
    mount(el, h('h2', null, 'Attempts'), timeline(list), table(['#', 'status', 'nodes', 'resumed from', 'started', 'ended', 'end reason'],
      list.map(a => [a.number, badge(a.status), [...new Set(a.ranks.map(r => r.node_id))].join(', '),
        a.resumed_from ? short(a.resumed_from) : (a.resume_from ? short(a.resume_from) : 'scratch'),
        time(a.created_at), time(a.ended_at), a.end_reason || (a.stop ? `stopping: ${a.stop.reason || ''}` : '')])));
  } catch (err) {
    if (!signal.aborted) mount(el, errorBox(err));
  }
}

// timeline draws each attempt as a bar from its start to its end (or now).
function timeline(list) {
  if (!list.length) return h('p', {class: 'muted'}, 'Not placed yet.');
  const now = Date.now() * 1e6;
  const t0 = Math.min(...list.map(a => a.created_at));
  const t1 = Math.max(...list.map(a => a.ended_at || now));
  const w = 560, row = 22, span = Math.max(t1 - t0, 1);
  return s('svg', {id: 'timeline', width: w, height: list.length * row + 4, role: 'img', 'aria-label': 'attempts timeline'},
    list.map((a, i) => {
      const x = (a.created_at - t0) / span * (w - 120);
      const bw = Math.max(((a.ended_at || now) - a.created_at) / span * (w - 120), 2);
      return s('g', {class: 'attempt s-' + a.status},
        s('rect', {x, y: i * row + 2, width: bw, height: row - 6, rx: 3}),
        s('text', {x: x + bw + 4, y: i * row + row - 8}, `#${a.number} ${a.status}`),
        s('title', null, `attempt ${a.number}: ${a.status}${a.end_reason ? ' — ' + a.end_reason : ''}`));
    }));
}

async function showAlerts(el, id, signal, allowed) {
  if (confirming(el)) return;
  try {
    const list = await get(`/v1/alerts?experiment=${encodeURIComponent(id)}`, signal);
    if (confirming(el)) return; // one may have opened while reading
    mount(el, h('h2', null, 'Alerts'), list.length ? table(['time', 'kind', 'step', 'reason', 'state'], list.map(a => [
      time(a.time), a.kind, a.step, a.reason,
      a.acked_at ? `acknowledged by ${short(a.acked_by)}` : (allowed(['validator']) ? action('Acknowledge', {
        confirmText: 'Acknowledge this alert?', run: () => post(`/v1/alerts/${encodeURIComponent(a.id)}/ack`)}) : badge('open')),
    ])) : h('p', {class: 'muted'}, 'No alert.'));
  } catch (err) {
    if (!signal.aborted) mount(el, errorBox(err));
  }
}
