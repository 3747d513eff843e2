// Toasts: short notices about update events (a rollout paused, a release failing on agents, a new release cached)
// in a corner of every page. They are a live region (role=status, polite) so screen readers announce them without
// moving focus, stay until dismissed (no timer takes a message away before it was read), and only the newest few
// are kept.

import { h, link, seg } from './dom.js';
import { onEvents } from './live.js';

const MAX_TOASTS = 5;

let region = null;

function container() {
  if (!region || !region.isConnected) {
    region = h('div', { class: 'toasts', role: 'region', 'aria-label': 'Notifications', testid: 'toasts' });
    document.body.append(region);
  }
  return region;
}

/** Shows a toast. kind: info | warn | bad | ok; body: nodes or text. Returns the toast element. */
export function toast(kind, title, body, testid) {
  const close = h('button', { type: 'button', class: 'ghost small toast-close', 'aria-label': `Dismiss: ${title}`, testid: 'toast-dismiss' }, '×');
  const el = h('div', { class: `toast ${kind}`, role: kind === 'bad' ? 'alert' : 'status', 'aria-live': kind === 'bad' ? 'assertive' : 'polite', testid: testid || 'toast' },
    h('div', { class: 'toast-body' }, h('strong', { class: 'toast-title' }, title), body ? h('div', {}, body) : null),
    close);
  close.addEventListener('click', () => el.remove());
  const area = container();
  area.append(el);
  while (area.children.length > MAX_TOASTS) area.firstElementChild.remove();
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
  return onEvents(['rollout.paused', 'release.failed', 'release.cached'], (event, type) => {
    if (type !== 'resync') toastFor(event);
  });
}
