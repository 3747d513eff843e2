// Page-level pieces: headings, notices, the confirm dialog, loading and error states.

import { fill, h } from './dom.js';

export function pageHeader(title, ...actions) {
  document.title = `${title} · PrintMaster`;
  const present = actions.flat().filter((a) => a !== null && a !== undefined && a !== false);
  return h('div', { class: 'page-header' },
    h('h1', { testid: 'page-title' }, title),
    present.length ? h('div', { class: 'actions' }, present) : null);
}

export function notice(kind, text, testid) {
  return h('div', { class: `alert ${kind}`, role: kind === 'error' ? 'alert' : 'status', testid }, text);
}

/** Replaces a page's content with an error message and a retry button. */
export function loadFailed(root, what, error, retry) {
  fill(root,
    notice('error', `Could not load ${what}: ${error.message}`, 'load-error'),
    retry ? h('button', { type: 'button', onclick: retry }, 'Try again') : null);
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'muted loading' }, text);
}

/**
 * Asks before something that cannot be undone. Resolves true when confirmed. A real <dialog>, so the page stays
 * scriptable by tests and keyboard users (Esc cancels).
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', testid: 'confirm-cancel' }, 'Cancel');
    const ok = h('button', { type: 'button', class: danger ? 'danger' : 'primary', testid: 'confirm-ok' }, confirmLabel);
    const dialog = h('dialog', { class: 'confirm', testid: 'confirm-dialog', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', {}, message),
      h('div', { class: 'actions' }, cancel, ok));
    let answered = false;
    const finish = (value) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener('click', () => finish(false));
    ok.addEventListener('click', () => finish(true));
    dialog.addEventListener('cancel', () => finish(false));
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A table with a header row; rows are appended by the caller. */
export function table(testid, headers) {
  const tbody = h('tbody');
  const el = h('table', { class: 'data', testid },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  return { el, tbody };
}

/** A full-width row saying the table is empty. */
export function emptyRow(columns, text) {
  return h('tr', { class: 'empty' }, h('td', { colspan: columns }, text));
}
