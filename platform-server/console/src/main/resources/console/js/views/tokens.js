import { api, getAll } from '../api.js';
import { badge, h, seg, time } from '../dom.js';
import { checkField, field, FormErrors, generalError } from '../forms.js';
import { confirmDialog, emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

const SCOPES = [
  ['releases.read', 'Read releases'],
  ['releases.write', 'Manage releases'],
  ['fleets.read', 'Read fleets and policies'],
  ['fleets.write', 'Change fleets and policies'],
  ['installers.download', 'Download installers'],
  ['agents.read', 'Read agents'],
  ['agents.write', 'Manage agents'],
  ['rollouts.read', 'Read rollouts'],
  ['rollouts.write', 'Create, approve, pause, resume, abort and roll back rollouts'],
  ['settings.server.read', 'Read server settings and plugins'],
  ['settings.server.write', 'Change server settings'],
  ['audit.read', 'Read the audit log'],
];

/** API tokens for scripts and CI: create with scopes (optionally limited to fleets), see the secret once, revoke. */
export async function render(root, ctx) {
  const newButton = h('button', { type: 'button', class: 'primary', testid: 'new-token' }, 'New token');
  const created = h('div', { testid: 'token-created-area' });
  const formArea = h('div', { hidden: true });
  const listArea = h('div', {}, loading());
  root.append(pageHeader('API tokens', newButton),
    h('p', { class: 'muted' }, 'Tokens let scripts and tools call the API with "Authorization: Bearer <token>". Give each the fewest scopes it needs.'),
    created, formArea, listArea);

  const reloadList = async () => {
    let list;
    try {
      list = await getAll('/api/v1/auth/tokens', 'tokens');
    } catch (e) {
      loadFailed(listArea, 'the tokens', e, reloadList);
      return;
    }
    listArea.replaceChildren(renderList(list.tokens || [], reloadList, listArea));
  };

  let fleets = null;
  try {
    fleets = (await getAll('/api/v1/fleets', 'fleets')).fleets || [];
  } catch (e) {
    if (e.status === 401) throw e;
    fleets = null; // fleet ids are typed instead
  }
  formArea.append(buildForm(fleets, async (answer) => {
    formArea.hidden = true;
    newButton.hidden = false;
    created.replaceChildren(showSecret(answer, () => created.replaceChildren()));
    await reloadList();
  }, () => { formArea.hidden = true; newButton.hidden = false; }));
  newButton.addEventListener('click', () => {
    formArea.hidden = false;
    newButton.hidden = true;
    formArea.querySelector('input').focus();
  });
  await reloadList();
}

function status(token) {
  if (token.revoked_at) return badge('revoked', 'bad', { testid: 'token-status' });
  if (token.expires_at && new Date(token.expires_at).getTime() < Date.now()) return badge('expired', 'warn', { testid: 'token-status' });
  return badge('active', 'ok', { testid: 'token-status' });
}

function renderList(tokens, reload, area) {
  const { el, tbody } = table('tokens-table', ['Name', 'Scopes', 'Fleets', 'Created', 'Expires', 'Last used', 'Status', '']);
  if (tokens.length === 0) tbody.append(emptyRow(8, 'No tokens yet.'));
  for (const t of tokens) {
    const active = !t.revoked_at;
    const revoke = active ? h('button', { type: 'button', class: 'small danger-outline', testid: `revoke-token-${t.id}` }, 'Revoke') : null;
    if (revoke) {
      revoke.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: `Revoke token ${t.name}?`,
          message: 'Anything using this token is refused from now on. This cannot be undone.',
          confirmLabel: 'Revoke',
          danger: true,
        });
        if (!ok) return;
        try {
          await api.del(`/api/v1/auth/tokens/${seg(t.id)}`);
          await reload();
        } catch (e) {
          area.prepend(notice('error', `Could not revoke ${t.name}: ${e.message}`, 'revoke-error'));
        }
      });
    }
    tbody.append(h('tr', { testid: `token-row-${t.id}`, class: active ? '' : 'inactive' },
      h('td', { class: 'strong nowrap' }, t.name, t.created_by ? h('div', { class: 'muted small' }, `by ${t.created_by}`) : null),
      h('td', {}, h('div', { class: 'chips' }, (t.scopes || []).map((s) => h('code', { class: 'chip' }, s)))),
      h('td', {}, t.fleets && t.fleets.length ? t.fleets.join(', ') : h('span', { class: 'muted' }, 'all')),
      h('td', { class: 'nowrap' }, time(t.created_at)),
      h('td', { class: 'nowrap' }, t.expires_at ? time(t.expires_at) : h('span', { class: 'muted' }, 'never')),
      h('td', { class: 'nowrap' }, t.last_used_at ? time(t.last_used_at) : h('span', { class: 'muted' }, 'never')),
      h('td', {}, status(t)),
      h('td', {}, revoke)));
  }
  return el;
}

function buildForm(fleets, onCreated, onCancel) {
  const name = h('input', { id: 'token-name', maxlength: 100, autocomplete: 'off', placeholder: 'e.g. ci-release-upload' });
  const expires = h('input', { id: 'token-expires', type: 'number', min: 1, max: 3650, step: 1, class: 'num', placeholder: 'never' });
  const scopeBoxes = SCOPES.map(([scope]) => h('input', { type: 'checkbox', id: `scope-${scope.replace(/\./g, '-')}`, value: scope, testid: `scope-${scope}` }));
  const scopeField = h('div', { class: 'field', 'data-field': 'scopes' },
    h('span', { class: 'label' }, 'Scopes'),
    h('div', { class: 'checks' }, scopeBoxes.map((box, i) => h('label', { class: 'check-label', for: box.id }, box,
      h('span', {}, h('code', {}, SCOPES[i][0]), ' ', h('span', { class: 'muted' }, SCOPES[i][1]))))),
    h('p', { class: 'field-error', hidden: true }));

  let fleetInput;
  let readFleets;
  if (fleets && fleets.length) {
    const boxes = fleets.map((f) => h('input', { type: 'checkbox', id: `token-fleet-${f.id}`, value: f.id, testid: `token-fleet-${f.id}` }));
    fleetInput = h('div', { class: 'field', 'data-field': 'fleets' },
      h('span', { class: 'label' }, 'Limit to fleets (optional)'),
      h('div', { class: 'checks' }, boxes.map((box, i) => h('label', { class: 'check-label', for: box.id }, box, h('span', {}, fleets[i].name, ' ', h('code', {}, fleets[i].id))))),
      h('p', { class: 'hint' }, 'Leave all unticked for a token that sees every fleet.'),
      h('p', { class: 'field-error', hidden: true }));
    readFleets = () => boxes.filter((b) => b.checked).map((b) => b.value);
  } else {
    const text = h('input', { id: 'token-fleets', placeholder: 'fleet ids, comma separated', spellcheck: 'false' });
    fleetInput = field('fleets', 'Limit to fleets (optional)', text, 'Leave empty for a token that sees every fleet.');
    readFleets = () => text.value.split(',').map((s) => s.trim()).filter(Boolean);
  }

  const general = generalError('token-error');
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'create-token' }, 'Create token');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h('form', { class: 'card', testid: 'token-form', novalidate: true },
    h('h2', {}, 'New API token'),
    general,
    h('div', { class: 'grid two' },
      field('name', 'Name', name, 'What uses it, so you know what breaks when you revoke it.'),
      field('expires_in_days', 'Expires after (days, optional)', expires, '1 to 3650; empty never expires.')),
    scopeField,
    fleetInput,
    h('div', { class: 'actions' }, submit, cancel));
  const errors = new FormErrors(form, general);
  cancel.addEventListener('click', () => { errors.clear(); form.reset(); onCancel(); });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const body = { name: name.value.trim(), scopes: scopeBoxes.filter((b) => b.checked).map((b) => b.value) };
    const chosenFleets = readFleets();
    if (chosenFleets.length) body.fleets = chosenFleets;
    const days = expires.value.trim();
    if (days !== '') {
      if (!/^\d+$/.test(days)) {
        errors.show({ field: 'expires_in_days', message: 'Enter a whole number of days.' });
        return;
      }
      body.expires_in_days = Number.parseInt(days, 10);
    }
    if (!body.name) {
      errors.show({ field: 'name', message: 'Give the token a name.' });
      return;
    }
    if (!body.scopes.length) {
      errors.show({ field: 'scopes', message: 'Tick at least one scope.' });
      return;
    }
    submit.disabled = true;
    try {
      const answer = await api.post('/api/v1/auth/tokens', body);
      form.reset();
      await onCreated(answer);
    } catch (e) {
      errors.show(e);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function showSecret(answer, dismiss) {
  const value = h('input', { id: 'new-token-value', testid: 'new-token-value', readonly: true, value: answer.token, spellcheck: 'false', class: 'secret' });
  const copied = h('span', { class: 'muted', 'aria-live': 'polite', testid: 'token-copied' });
  const copy = h('button', { type: 'button', class: 'primary', testid: 'copy-token' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(answer.token);
      copied.textContent = 'Copied.';
    } catch (e) {
      value.select();
      copied.textContent = 'Selected: press Ctrl+C to copy.';
    }
  });
  value.addEventListener('focus', () => value.select());
  return h('div', { class: 'alert success secret-box', role: 'status', testid: 'token-created' },
    h('h2', {}, `Token "${answer.name || 'new token'}" created`),
    h('p', {}, h('strong', {}, 'Copy it now: it is shown only this once.'), ' The server keeps only a hash and cannot show it again.'),
    h('div', { class: 'copy-row' }, value, copy, copied),
    h('button', { type: 'button', class: 'ghost', onclick: dismiss }, 'I have stored it, hide it'));
}
