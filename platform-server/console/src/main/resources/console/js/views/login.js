import { api } from '../api.js';
import { h } from '../dom.js';

export async function render(root, ctx) {
  document.title = 'Log in · PrintMaster';
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', value: 'admin', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('div', { class: 'alert error', role: 'alert', id: 'login-error', testid: 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary wide', id: 'login-submit', testid: 'login-submit' }, 'Log in');
  const form = h('form', { class: 'card login', testid: 'login-form', novalidate: true },
    h('h1', {}, 'Log in'),
    h('p', { class: 'muted' }, 'PrintMaster administrator console'),
    error,
    h('div', { class: 'field' }, h('label', { for: username.id }, 'User name'), username),
    h('div', { class: 'field' }, h('label', { for: password.id }, 'Password'), password),
    submit);

  const fail = (message) => {
    error.textContent = message;
    error.hidden = false;
    password.value = '';
    password.focus();
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!username.value.trim() || !password.value) {
      fail('Enter your user name and password.');
      return;
    }
    submit.disabled = true;
    try {
      const session = await api.post('/api/v1/auth/login', { username: username.value.trim(), password: password.value }, { expect401: true });
      ctx.loggedIn(session);
    } catch (e) {
      if (e.status === 401) fail('Wrong user name or password.');
      else if (e.status === 429) fail(`Too many failed attempts. ${capitalize(e.message)}`);
      else fail(e.message);
    } finally {
      submit.disabled = false;
    }
  });

  root.classList.add('centered');
  root.append(form);
  (username.value ? password : username).focus();
}

function capitalize(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
}
