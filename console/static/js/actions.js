// Actions: a button that asks for confirmation in the page (and a reason where the
// API records one), then calls the API; the outcome shows beside it. Every action
// goes through the same API, roles and audit as the CLI.

import {h, mount} from './dom.js';
import {post} from './api.js';

// action returns a control: the button, then an inline confirmation.
// run(reason) performs the call; done() runs after it succeeds.
export function action(label, {confirmText, reason = false, run, done, cls = ''}) {
  const box = h('span', {class: 'action ' + cls});
  const idle = () => mount(box, h('button', {class: 'act', 'data-action': label.toLowerCase(), onclick: ask}, label));
  function ask() {
    const why = reason ? h('input', {type: 'text', class: 'reason', placeholder: 'reason (recorded)', 'aria-label': 'reason', maxlength: 500}) : null;
    const status = h('span', {class: 'status'});
    mount(box, h('span', {class: 'confirm'}, confirmText || `${label}?`, ' ', why,
      h('button', {class: 'confirm-yes', onclick: async () => {
        if (why && !why.value.trim()) { mount(status, h('span', {class: 'error'}, 'a reason is required')); return; }
        try {
          await run(why ? why.value.trim() : undefined);
          mount(box, h('span', {class: 'ok'}, `${label}: done`));
          if (done) done();
        } catch (err) {
          mount(status, h('span', {class: 'error'}, `${label} refused: ${err.message}`));
        }
      }}, 'Confirm'),
      h('button', {class: 'link', onclick: idle}, 'Cancel'), status));
    if (why) why.focus();
  }
  idle();
  return box;
}

export const postTo = (path, body) => () => post(path, body);

// confirming reports whether el holds a confirmation the user is answering: a page
// that redraws el from live data waits until it is answered, or the redraw drops it.
export const confirming = el => el.querySelector('.confirm') !== null;
