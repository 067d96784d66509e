// The console's shell: sign-in, the navigation a token's roles allow, and a router
// over the URL fragment. Each page is a module exporting render(main, params, ctx).

import {h, mount, errorBox} from './dom.js';
import {session, get} from './api.js';
import * as cluster from './pages/cluster.js';
import * as experiments from './pages/experiments.js';
import * as experiment from './pages/experiment.js';
import * as checkpoints from './pages/checkpoints.js';
import * as datasets from './pages/datasets.js';
import * as models from './pages/models.js';
import * as audit from './pages/audit.js';

// Pages, with the roles that may read them (admin may read all).
const pages = [
  {path: /^\/cluster$/, nav: 'Cluster', href: '#/cluster', page: cluster, roles: ['researcher', 'validator']},
  {path: /^\/experiments$/, nav: 'Experiments', href: '#/experiments', page: experiments, roles: ['researcher', 'validator']},
  {path: /^\/experiments\/([\w-]+)$/, page: experiment, roles: ['researcher', 'validator']},
  {path: /^\/experiments\/([\w-]+)\/checkpoints$/, page: checkpoints, roles: ['researcher', 'validator']},
  {path: /^\/datasets$/, nav: 'Datasets', href: '#/datasets', page: datasets, roles: ['researcher', 'validator']},
  {path: /^\/models$/, nav: 'Models', href: '#/models', page: models, roles: ['researcher', 'validator', 'trust']},
  {path: /^\/audit$/, nav: 'Audit', href: '#/audit', page: audit, roles: []},
];

const main = document.getElementById('main');
let me = null;         // the signed-in token: accessor_id, name, roles
let leaving = null;    // aborts the current page's watches

export function allowed(roles) {
  return me && (me.roles.includes('admin') || roles.some(r => me.roles.includes(r)));
}

function signInPage(message) {
  const input = h('input', {type: 'password', id: 'token', autocomplete: 'off', required: true,
    placeholder: 'secret token', 'aria-label': 'token'});
  const form = h('form', {id: 'signin', class: 'card narrow', onsubmit: async e => {
    e.preventDefault();
    session.signIn(input.value.trim());
    input.value = '';
    await start();
  }}, h('h1', null, 'Sign in'),
  h('p', null, 'Paste the secret of your dxtrain token. It stays in this tab only.'),
  message ? errorBox(message) : null, input, h('button', {type: 'submit'}, 'Sign in'));
  mount(document.getElementById('nav'));
  mount(document.getElementById('who'));
  mount(main, form);
  input.focus();
}

function navigation() {
  const links = pages.filter(p => p.nav && allowed(p.roles))
    .map(p => h('a', {href: p.href, 'data-page': p.nav.toLowerCase()}, p.nav));
  mount(document.getElementById('nav'), links);
  mount(document.getElementById('who'), `${me.name || me.accessor_id.slice(0, 8)} · ${me.roles.join(', ')} `,
    h('button', {class: 'link', id: 'signout', onclick: () => { session.signOut(); signInPage(); }}, 'Sign out'));
}

function home() {
  const first = pages.find(p => p.nav && allowed(p.roles));
  return first ? first.href : null;
}

async function route() {
  if (leaving) leaving.abort();
  leaving = new AbortController();
  const signal = leaving.signal; // this route's: a later route aborts it
  if (!me) return;
  const path = location.hash.replace(/^#/, '') || '/';
  for (const p of pages) {
    const m = path.match(p.path);
    if (!m) continue;
    if (!allowed(p.roles)) {
      mount(main, errorBox(`Your token's roles (${me.roles.join(', ')}) may not see this page.`));
      return;
    }
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', path.startsWith(a.getAttribute('href').slice(1)));
    mount(main, h('p', {class: 'muted'}, 'Loading…'));
    try {
      await p.page.render(main, m.slice(1), {signal, me, allowed});
    } catch (err) {
      if (!signal.aborted) mount(main, errorBox(err));
    }
    return;
  }
  const to = home();
  if (to) location.hash = to;
  else mount(main, errorBox('This token has no role that the console shows.'));
}

async function start() {
  if (!session.token) return signInPage();
  try {
    me = await get('/v1/acl/token/self');
  } catch (err) {
    session.signOut();
    return signInPage(err.status === 401 ? 'That token was not accepted.' : err);
  }
  navigation();
  await route();
}

window.addEventListener('hashchange', route);
window.addEventListener('dxtrain-signed-out', () => { me = null; signInPage('Your session ended: sign in again.'); });
start();
