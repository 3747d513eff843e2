// Toasts: short notices about update events (a rollout paused, a release failing on agents, a new release cached)
// in a corner of every page. Screen readers hear each one through a live region (polite; an alert for a failing
// release) without focus moving; toasts stay until dismissed (no timer takes a message away before it was read),
// and only the newest few are kept.

import { h, link, seg } from './dom.js';
import { onEvents } from './live.js';

const MAX_TOASTS = 5;

let region = null;
let polite = null;
let assertive = null;

// The announcers exist (empty) before any toast: screen readers announce changes inside a live region that is
// already in the page, not a region inserted together with its text.
function container() {
  if (!region || !region.isConnected) {
    polite = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', testid: 'toast-announcer' });
    assertive = h('div', { class: 'visually-hidden', role: 'alert', 'aria-live': 'assertive', testid: 'toast-alert-announcer' });
    region = h('section', { class: 'toasts', 'aria-label': 'Notifications', testid: 'toasts' }, polite, assertive);
    document.body.append(region);
  }
  return region;
}

/** Shows a toast. kind: info | warn | bad | ok; body: nodes or text. Returns the toast element. */
export function toast(kind, title, body, testid) {
  const area = container();
  const close = h('button', { type: 'button', class: 'ghost small toast-close', 'aria-label': `Dismiss: ${title}`, testid: 'toast-dismiss' }, '×');
  const text = h('div', { class: 'toast-body' }, h('strong', { class: 'toast-title' }, title), body ? h('div', {}, body) : null);
  const el = h('div', { class: `toast ${kind}`, role: 'group', 'aria-label': title, testid: testid || 'toast' }, text, close);
  close.addEventListener('click', () => {
    // focus would otherwise fall back to the top of the page
    const next = el.nextElementSibling || el.previousElementSibling;
    el.remove();
    if (next && next.classList.contains('toast')) next.querySelector('button').focus();
  });
  area.append(el);
  (kind === 'bad' ? assertive : polite).textContent = text.textContent;
  const toasts = area.querySelectorAll('.toast');
  for (let i = 0; i < toasts.length - MAX_TOASTS; i += 1) toasts[i].remove();
  return el;
}

function fleetText(event) {
  return event.fleet ? ` in fleet ${event.fleet}` : '';
}

/** The toast of one notification event, or nothing for the other types. */
export function toastFor(event) {
  if (event.type === 'rollout.paused') {
    const failed = Number(event.failed) || 0;
    return toast('warn', `Rollout paused: ${event.component || ''} ${event.version || ''}`.trim(),
      [event.reason ? `${event.reason}. ` : '', failed ? `${failed} agent${failed === 1 ? '' : 's'} failed. ` : '',
        event.rollout_id ? link(`/rollouts/${seg(event.rollout_id)}`, 'Open the rollout') : null],
      'toast-rollout-paused');
  }
  if (event.type === 'release.failed') {
    const failed = Number(event.failed) || 0;
    return toast('bad', `${event.component || 'Release'} ${event.version || ''} failed on ${failed} agent${failed === 1 ? '' : 's'}${fleetText(event)}`,
      event.error_code ? ['Latest error: ', h('code', {}, event.error_code)] : null, 'toast-release-failed');
  }
  if (event.type === 'release.cached') {
    return toast('ok', `New release cached: ${event.component || ''} ${event.version || ''}`.trim(),
      event.notes_snippet ? h('p', { class: 'toast-notes' }, event.notes_snippet) : null, 'toast-release-cached');
  }
  return null;
}

/** Starts showing toasts for the notification events of the shared stream (once, at start). */
export function showNotificationToasts() {
  container();
  return onEvents(['rollout.paused', 'release.failed', 'release.cached'], (event, type) => {
    if (type !== 'resync') toastFor(event);
  }, { whileHidden: true }); // a toast needs no request, and the admin sees it on coming back
}
