import { api } from '../api.js';
import { badge, h, link, seg, time } from '../dom.js';
import { checkField, field, FormErrors, generalError } from '../forms.js';
import { confirmDialog, emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

/** Keys several source types share. */
const TAG_PATTERN = { key: 'tag_pattern', label: 'Tag pattern (optional)', placeholder: 'v{version}|{version}|{component}-v{version}', hint: 'How release tags read; agent-v1.2.0 names the component of a monorepo.' };
const UPSTREAM_KEY = { key: 'upstream_public_key', label: 'Upstream public key (optional)', placeholder: 'RWQ… or ssh-ed25519 AAAA…', hint: 'With a key, every asset needs a valid .minisig or .sig beside it, or it is refused.' };

/** The configuration keys of each source type, as the API takes them. */
const TYPES = {
  github: {
    label: 'GitHub releases',
    keys: [
      { key: 'repository', label: 'Repository', placeholder: 'owner/name', required: true },
      { key: 'api_url', label: 'API URL (optional)', placeholder: 'https://api.github.com', hint: 'GitHub Enterprise Server: https://<host>/api/v3' },
      { key: 'token', label: 'Token (optional)', secret: true, hint: 'A read-only token; needed for private repositories. Stored encrypted, never shown again.' },
      { key: 'asset_pattern', label: 'Asset name pattern (optional)', placeholder: 'printmaster-{component}-v{version}-{os}-{arch}.{ext}' },
      { key: 'include_prereleases', label: 'Include pre-releases (beta and alpha channels)', boolean: true },
      TAG_PATTERN,
      UPSTREAM_KEY,
    ],
  },
  'http-feed': {
    label: 'HTTP feed',
    keys: [
      { key: 'url', label: 'Feed URL', placeholder: 'https://downloads.example.com/printmaster/feed.json', required: true },
      TAG_PATTERN,
      UPSTREAM_KEY,
    ],
  },
  directory: {
    label: 'Local folder',
    keys: [
      { key: 'path', label: 'Folder (absolute path on the server)', placeholder: '/srv/printmaster/releases', required: true },
      UPSTREAM_KEY,
    ],
  },
};

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Release sources: where the server pulls releases from. Add, list, remove. */
export async function render(root, ctx) {
  const newButton = h('button', { type: 'button', class: 'primary', testid: 'new-source' }, 'Add source');
  const formArea = h('div', { hidden: true });
  const listArea = h('div', {}, loading());
  root.append(pageHeader('Release sources', link('/releases', 'Releases', { class: 'button' }), newButton),
    h('p', { class: 'muted' }, 'Each source is checked at every sync. Sources configured by files in the server\'s etc/ folder are listed too; change those in their file.'),
    formArea, listArea);

  const reload = async () => {
    let answer;
    try {
      answer = await api.get('/api/v1/release-sources');
    } catch (e) {
      loadFailed(listArea, 'the release sources', e, reload);
      return;
    }
    listArea.replaceChildren(sourceTable(answer.sources || [], ctx, listArea, reload));
  };
  formArea.append(buildForm(async (created) => {
    formArea.hidden = true;
    newButton.hidden = false;
    ctx.flash('success', `Release source ${created.name} added. A sync starts as soon as its plugin has picked it up.`);
    ctx.navigate('/release-sources', { replace: true });
  }, () => {
    formArea.hidden = true;
    newButton.hidden = false;
  }));
  newButton.addEventListener('click', () => {
    formArea.hidden = false;
    newButton.hidden = true;
    formArea.querySelector('select').focus();
  });
  await reload();
}

function sourceTable(sources, ctx, area, reload) {
  const { el, tbody } = table('sources-table', ['Name', 'Type', 'Settings', 'State', 'Added', '']);
  if (sources.length === 0) tbody.append(emptyRow(6, 'No release source yet. Add one to start pulling releases.'));
  for (const s of sources) {
    const settings = Object.entries(s.config || {}).map(([k, v]) => h('div', { class: 'small' }, h('code', {}, k), ' ', String(v)));
    if (s.token_set) settings.push(h('div', { class: 'small' }, h('code', {}, 'token'), ' ', badge('set', 'info', { testid: 'token-set' })));
    let state;
    if (s.problem) state = badge('problem', 'bad', { title: s.problem });
    else if (s.active) state = badge('active', 'ok');
    else state = badge('waiting for its plugin', 'warn');
    let remove = null;
    if (s.origin === 'api') {
      remove = h('button', { type: 'button', class: 'small danger-outline', testid: `delete-source-${s.name}` }, 'Remove');
      remove.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: `Remove release source ${s.name}?`,
          message: 'The server stops pulling releases from it. Artifacts already cached stay until retention removes them.',
          confirmLabel: 'Remove source',
          danger: true,
        });
        if (!ok) return;
        try {
          await api.del(`/api/v1/release-sources/${seg(s.name)}`);
          ctx.flash('success', `Release source ${s.name} removed.`);
          ctx.navigate('/release-sources', { replace: true });
        } catch (e) {
          area.prepend(notice('error', `Could not remove ${s.name}: ${e.message}`, 'delete-error'));
        }
      });
    }
    tbody.append(h('tr', { testid: `source-row-${s.name}` },
      h('td', { class: 'strong' }, s.name),
      h('td', {}, TYPES[s.type] ? TYPES[s.type].label : s.type),
      h('td', {}, settings),
      h('td', {}, state, s.problem ? h('div', { class: 'small' }, s.problem) : null),
      h('td', { class: 'nowrap' }, s.origin === 'file' ? h('span', { class: 'muted' }, 'file in etc/')
        : s.origin === 'built-in' ? h('span', { class: 'muted' }, 'built in (ships with the server)') : [time(s.created_at), s.created_by ? h('div', { class: 'small muted' }, `by ${s.created_by}`) : null]),
      h('td', { class: 'row-actions' }, remove)));
  }
  return el;
}

function buildForm(onCreated, onCancel) {
  const type = h('select', { id: 'source-type', testid: 'source-type' },
    Object.entries(TYPES).map(([value, t]) => h('option', { value }, t.label)));
  const name = h('input', { id: 'source-name', maxlength: 63, autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. github-main' });
  const configArea = h('div', {});
  const general = generalError('source-error');
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'create-source' }, 'Add source');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h('form', { class: 'card', testid: 'source-form', novalidate: true },
    h('h2', {}, 'New release source'),
    general,
    h('div', { class: 'grid two' },
      field('type', 'Type', type),
      field('name', 'Name', name, 'Lowercase letters, digits and dashes.')),
    configArea,
    h('div', { class: 'actions' }, submit, cancel));
  const errors = new FormErrors(form, general);
  let inputs = {};
  const showKeys = () => {
    inputs = {};
    const fields = [];
    for (const k of TYPES[type.value].keys) {
      if (k.boolean) {
        const box = h('input', { type: 'checkbox', id: `source-config-${k.key}` });
        inputs[k.key] = box;
        fields.push(checkField(`config.${k.key}`, k.label, box, k.hint));
      } else {
        const input = h('input', {
          id: `source-config-${k.key}`, autocomplete: 'off', spellcheck: 'false', placeholder: k.placeholder,
          type: k.secret ? 'password' : 'text',
        });
        inputs[k.key] = input;
        fields.push(field(`config.${k.key}`, k.label, input, k.hint));
      }
    }
    configArea.replaceChildren(...fields);
  };
  type.addEventListener('change', () => {
    errors.clear();
    showKeys();
  });
  showKeys();
  cancel.addEventListener('click', () => {
    errors.clear();
    form.reset();
    showKeys();
    onCancel();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const body = { type: type.value, name: name.value.trim(), config: {} };
    for (const k of TYPES[type.value].keys) {
      const input = inputs[k.key];
      if (k.boolean) {
        if (input.checked) body.config[k.key] = true;
      } else if (input.value.trim() !== '') {
        body.config[k.key] = k.secret ? input.value : input.value.trim();
      }
    }
    if (!NAME.test(body.name)) {
      errors.show({ field: 'name', message: 'Use lowercase letters, digits and dashes (at most 63), starting with a letter or digit.' });
      return;
    }
    submit.disabled = true;
    try {
      const created = await api.post('/api/v1/release-sources', body);
      form.reset();
      await onCreated(created);
    } catch (e) {
      errors.show(e);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
