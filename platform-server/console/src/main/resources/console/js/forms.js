// Form building blocks shared by the pages: labelled fields that can show the server's error for them, and the
// mapping from an API error's `field` (e.g. policy.maintenance_window.timezone) to the input it is about.

import { h } from './dom.js';

let nextId = 0;

/** A unique element id for inputs that have none. */
export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * A labelled field. `name` is the API's field path; the wrapper carries it in data-field so an error naming that
 * field lands right under this input.
 */
export function field(name, label, input, hint) {
  if (!input.id) input.id = uid('f');
  const error = h('p', { class: 'field-error', 'data-error-for': name, 'aria-live': 'polite', hidden: true });
  error.id = `${input.id}-error`;
  input.setAttribute('aria-describedby', error.id);
  return h('div', { class: 'field', 'data-field': name },
    h('label', { for: input.id }, label),
    input,
    hint ? h('p', { class: 'hint' }, hint) : null,
    error);
}

/** A checkbox with its label to the right; also a data-field wrapper. */
export function checkField(name, label, input, hint) {
  if (!input.id) input.id = uid('c');
  const error = h('p', { class: 'field-error', 'data-error-for': name, hidden: true });
  return h('div', { class: 'field check', 'data-field': name },
    h('label', { class: 'check-label', for: input.id }, input, h('span', {}, label)),
    hint ? h('p', { class: 'hint' }, hint) : null,
    error);
}

/** The ways a server's field path may be written for one input: exact, without list indexes, with or without a prefix. */
export function candidateFields(field, prefix) {
  if (!field) return [];
  const names = [field, field.replace(/\[\d+\]/g, '')];
  for (const n of [...names]) {
    if (prefix && n.startsWith(prefix + '.')) names.push(n.slice(prefix.length + 1));
    if (prefix && !n.startsWith(prefix + '.')) names.push(`${prefix}.${n}`);
  }
  // a nested field nobody has an input for falls back to its parent (policy.rollout_control.x → policy.rollout_control)
  for (const n of [...names]) {
    let parent = n;
    while (parent.includes('.')) {
      parent = parent.slice(0, parent.lastIndexOf('.'));
      names.push(parent);
    }
  }
  return [...new Set(names)];
}

/**
 * Shows errors on one form. `general` is the alert at the top for errors that name no input of this form.
 */
export class FormErrors {
  constructor(form, general, prefix) {
    this.form = form;
    this.general = general;
    this.prefix = prefix || null;
  }

  clear() {
    this.general.hidden = true;
    this.general.textContent = '';
    for (const wrapper of this.form.querySelectorAll('.field.invalid')) {
      wrapper.classList.remove('invalid');
    }
    for (const error of this.form.querySelectorAll('.field-error')) {
      error.hidden = true;
      error.textContent = '';
    }
    for (const input of this.form.querySelectorAll('[aria-invalid]')) {
      input.removeAttribute('aria-invalid');
    }
  }

  /** Puts the message under the field's input when the form has it, else in the general alert. Returns the wrapper. */
  fieldError(fieldName, message) {
    for (const name of candidateFields(fieldName, this.prefix)) {
      const wrapper = [...this.form.querySelectorAll('[data-field]')].find((w) => w.dataset.field === name);
      if (!wrapper) continue;
      wrapper.classList.add('invalid');
      const error = wrapper.querySelector('.field-error');
      error.textContent = message;
      error.hidden = false;
      const input = wrapper.querySelector('input, select, textarea');
      if (input) input.setAttribute('aria-invalid', 'true');
      return wrapper;
    }
    return null;
  }

  /** Shows an ApiError (or any error): next to its field when possible, otherwise at the top. Focuses it. */
  show(error) {
    for (const more of (error && error.details) || []) {
      this.fieldError(more.field, more.message);
    }
    const wrapper = error && error.field ? this.fieldError(error.field, error.message) : null;
    if (wrapper) {
      const input = wrapper.querySelector('input, select, textarea');
      if (input) input.focus();
      wrapper.scrollIntoView({ block: 'center' });
      return;
    }
    this.general.textContent = error && error.message ? error.message : String(error);
    this.general.hidden = false;
    this.general.scrollIntoView({ block: 'nearest' });
  }
}

/** The top-of-form alert FormErrors writes into. */
export function generalError(testid) {
  return h('div', { class: 'alert error', role: 'alert', testid, hidden: true });
}
