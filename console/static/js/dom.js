// DOM helpers. Every value reaches the page through textContent or an attribute
// set by setAttribute, never through innerHTML: a name with markup in it stays text.

const SVG = 'http://www.w3.org/2000/svg';

// h builds an element: h('a', {href: '#/x', class: 'btn'}, 'text', child, …).
// Attributes starting with "on" take a function (an event listener).
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s builds an SVG element the same way.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// mount replaces the children of el.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// table builds a table from column headings and rows of cells.
export function table(headings, rows, attrs) {
  return h('table', attrs,
    h('thead', null, h('tr', null, headings.map(t => h('th', null, t)))),
    h('tbody', null, rows.map(r => h('tr', null, r.map(c => h('td', null, c))))));
}

export function time(ns) {
  if (!ns) return '';
  return new Date(ns / 1e6).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function num(v, digits = 4) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  return Number.isInteger(v) ? String(v) : Number(v).toPrecision(digits);
}

export function bytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log(n) / Math.log(1000)));
  return (n / 1000 ** i).toFixed(i ? 1 : 0) + ' ' + u[i];
}

export function short(id) { return id ? String(id).slice(0, 8) : ''; }

// badge is a status word in a coloured pill.
export function badge(word) {
  return h('span', {class: 'badge b-' + String(word).replace(/[^a-z_]/g, '')}, word);
}

export function errorBox(err) {
  return h('p', {class: 'error', role: 'alert'}, String(err && err.message || err));
}
