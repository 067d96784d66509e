// Charts: metric curves, ROC and reliability through uPlot (vendored, MIT), and
// device sparklines as small SVG polylines.

import {h, s} from './dom.js';

const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];

// curve is one uPlot chart of several series over a shared x. data is
// [xs, ys1, ys2, …] (null where a series has no value at that x).
export function curve(title, names, data, {xLabel = 'step', width = 560, height = 260, square = false} = {}) {
  const el = h('figure', {class: 'chart', 'data-title': title}, h('figcaption', null, title));
  const opts = {
    width, height: square ? width : height,
    scales: {x: {time: false}, ...(square ? {x: {time: false, range: [0, 1]}, y: {range: [0, 1]}} : {})},
    axes: [{label: xLabel}, {}],
    series: [{label: xLabel}, ...names.map((n, i) => ({label: n, stroke: palette[i % palette.length], width: 1.5, spanGaps: true,
      points: {show: square}}))],
    legend: {live: false},
    cursor: {drag: {x: true, y: false}},
  };
  const plot = new uPlot(opts, data, el);
  el.update = next => plot.setData(next);
  el.points = () => plot.data.slice(1).reduce((n, ys) => n + ys.filter(v => v !== null && v !== undefined).length, 0);
  el.plot = plot;
  return el;
}

// seriesData turns an experiment's series points into uPlot columns, one per metric.
export function seriesData(series) {
  const names = [...new Set(series.flatMap(p => Object.keys(p.metrics || {})))].sort();
  const xs = series.map(p => p.step);
  const cols = names.map(n => series.map(p => (p.metrics && n in p.metrics) ? p.metrics[n] : null));
  return {names, data: [xs, ...cols]};
}

// sparkline draws the last values of one gauge, scaled to [0, max].
export function sparkline(values, max, label) {
  const w = 120, ht = 28;
  const pts = values.map((v, i) => `${(i / Math.max(values.length - 1, 1) * w).toFixed(1)},${(ht - Math.min(v / (max || 1), 1) * ht).toFixed(1)}`);
  return s('svg', {class: 'spark', width: w, height: ht, viewBox: `0 0 ${w} ${ht}`, role: 'img', 'aria-label': label},
    s('polyline', {points: pts.join(' '), fill: 'none', stroke: palette[0], 'stroke-width': 1.5}));
}
