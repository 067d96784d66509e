// The clinical report of a checkpoint or a model card: headline metrics, the ROC
// curve and the reliability diagram of each class.

import {h, table, num} from './dom.js';
import {curve} from './charts.js';

// clinical shows a report: headline metrics, the ROC curve and the reliability diagram
// of the positive class (binary) or of each class one-vs-rest (multi-class).
export function clinical(rep) {
  const per = rep.overall.binary ? [rep.overall.binary] : (rep.overall.multiclass?.per_class || []);
  return h('div', {class: 'clinical'}, h('h3', null, `Clinical report (${rep.n} records, ${rep.kind})`),
    rep.overall.multiclass ? h('p', null, 'accuracy ', num(rep.overall.multiclass.accuracy)) : null,
    per.map(b => h('div', {class: 'per-class'},
      h('h4', null, `class ${b.class}`), table(['AUROC', `${rep.ci_level * 100}% CI`, 'sensitivity', 'specificity', 'Brier', 'ECE'], [[
        num(b.auroc?.estimate), `${num(b.auroc?.ci_lower)} – ${num(b.auroc?.ci_upper)}`, num(b.at_threshold?.sensitivity),
        num(b.at_threshold?.specificity), num(b.brier), num(b.calibration?.ece)]]),
      h('div', {class: 'charts'},
        b.roc ? curve(`ROC, class ${b.class}`, ['ROC', 'chance'], [b.roc.map(p => p.fpr), b.roc.map(p => p.tpr), b.roc.map(p => p.fpr)],
          {xLabel: 'false-positive rate', width: 300, square: true}) : null,
        reliability(b)))));
}

function reliability(b) {
  const bins = (b.calibration?.bins || []).filter(x => x.count > 0 && x.mean_predicted !== null);
  if (!bins.length) return null;
  const xs = bins.map(x => x.mean_predicted);
  return curve(`Reliability, class ${b.class}`, ['observed', 'perfect'], [xs, bins.map(x => x.observed_fraction), xs],
    {xLabel: 'mean predicted', width: 300, square: true});
}
