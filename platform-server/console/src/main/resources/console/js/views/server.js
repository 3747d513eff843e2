import { api, query } from '../api.js';
import { badge, fill, h, time } from '../dom.js';
import { checkField, field, FormErrors, generalError } from '../forms.js';
import { safeFragment } from '../safe-html.js';
import { emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

const RUNS = 20;
const STATUS_KIND = { succeeded: 'ok', failed: 'bad', rolled_back: 'warn', skipped: 'neutral' };

/**
 * Server: the server's own version and self-update. What runs and on which channel, the policy (how often to
 * check, how far to move), when the next check is due, what an update would install now with its release notes,
 * "Update now", and the history of runs. When this server may not update itself (a container, PM_DISABLE_SELFUPDATE,
 * not installed from a release archive), the reason says how to update it instead.
 */
export async function render(root, ctx) {
  const runNow = h('button', { type: 'button', class: 'primary', testid: 'server-update-now' }, 'Update now');
  const runMessage = h('div', { testid: 'server-run-message' });
  const statusArea = h('div', {}, loading());
  const availableArea = h('section', { class: 'card', testid: 'server-available-card' });
  const policyArea = h('section', { class: 'card', testid: 'server-policy-card' });
  const runsArea = h('section', { class: 'card', testid: 'server-runs-card' });
  root.append(pageHeader('Server', runNow), runMessage, statusArea, availableArea, policyArea, runsArea);

  let timer = null;
  ctx.onLeave(() => clearTimeout(timer));
  let formBuilt = false;

  const reload = async () => {
    clearTimeout(timer);
    let status;
    let runs;
    try {
      [status, runs] = await Promise.all([api.get('/api/v1/server/update'),
        api.get(`/api/v1/server/update/runs${query({ limit: RUNS })}`)]);
    } catch (e) {
      if (e.status === 401 || !ctx.isCurrent()) return;
      loadFailed(statusArea, 'the server\'s update state', e, reload);
      return;
    }
    if (!ctx.isCurrent()) return;
    fill(statusArea, statusCard(status));
    fill(availableArea, availableCard(status));
    if (!formBuilt) {
      fill(policyArea, policyForm(status.policy, reload));
      formBuilt = true;
    }
    fill(runsArea, h('h2', {}, 'Update history'), runsTable(runs.runs || []));
    runNow.disabled = !status.self_update_enabled || status.state !== 'idle';
    runNow.title = !status.self_update_enabled ? 'Self-update is off on this server (see why above)'
      : status.state !== 'idle' ? 'An update run is going on' : '';
    // follow a run while one goes on
    if (status.state !== 'idle') timer = setTimeout(reload, 2000);
  };

  runNow.addEventListener('click', async () => {
    runNow.disabled = true;
    fill(runMessage);
    try {
      const answer = await api.post('/api/v1/server/update/run', {});
      fill(runMessage, notice('info', `Update run ${answer.run_id} started: it checks for a newer release, verifies and `
        + 'stages it, then applies it. Its steps appear in the history below.', 'server-run-started'));
    } catch (e) {
      if (e.status === 401) return;
      fill(runMessage, notice('error', `The update did not start: ${e.message}`, 'server-run-error'));
    }
    await reload();
  });

  await reload();
}

function statusCard(s) {
  const rows = [
    ['Version', h('strong', { testid: 'server-version' }, s.current_version)],
    ['Platform', s.platform || '—'],
    ['Channel', h('span', { testid: 'server-channel' }, s.channel)],
    ['State', badge(s.state, s.state === 'idle' ? 'neutral' : 'info', { testid: 'server-state' })],
    ['Next check', s.next_check_at ? h('span', { testid: 'server-next-check' }, time(s.next_check_at))
      : h('span', { class: 'muted', testid: 'server-next-check' },
        s.self_update_enabled ? 'no scheduled checks (cadence disabled)' : 'none (self-update is off)')],
    ['Last check', time(s.last_check_at)],
  ];
  return h('section', { class: 'card', testid: 'server-status-card' },
    h('h2', {}, 'This server'),
    h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    s.self_update_enabled ? null
      : h('div', { class: 'alert warn', role: 'status', testid: 'server-disabled' },
        h('strong', {}, `Self-update is off (${s.disabled_code}). `),
        h('span', { testid: 'server-disabled-reason' }, s.disabled_reason)));
}

function availableCard(s) {
  if (!s.available) {
    return [h('h2', {}, 'Available update'),
      h('p', { class: 'muted', testid: 'server-no-update' }, 'No newer server release within the policy is in the '
        + 'release catalog.')];
  }
  const notes = s.available.release_notes_html && s.available.release_notes_html.trim()
    ? h('div', { class: 'notes-html', testid: 'server-release-notes' }, safeFragment(s.available.release_notes_html))
    : s.available.release_notes
      ? h('pre', { class: 'notes', testid: 'server-release-notes' }, s.available.release_notes)
      : h('p', { class: 'muted' }, 'This release has no release notes.');
  return [h('h2', {}, 'Available update'),
    h('p', {}, 'Server ', h('strong', { testid: 'server-available-version' }, s.available.version),
      ' would be installed by the next run.'),
    h('details', { open: true }, h('summary', {}, `Release notes ${s.available.version}`), notes)];
}

function select(id, options, value) {
  return h('select', { id }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

function policyForm(policy, reload) {
  const cadence = select('server-cadence', [['disabled', 'Disabled (only "Update now")'], ['daily', 'Daily'],
    ['weekly', 'Weekly'], ['monthly', 'Monthly']], policy.cadence);
  const pin = select('server-pin', [['minor', 'Patches of the running minor line (1.4.x)'],
    ['major', 'Any newer version of the major line (1.x)'], ['patch', 'Only an exact target version']],
  policy.version_pin_strategy);
  const allowMajor = h('input', { type: 'checkbox', id: 'server-allow-major', checked: !!policy.allow_major_upgrade });
  const target = h('input', { id: 'server-target', type: 'text', value: policy.target_version || '', placeholder: 'e.g. 1.4.3',
    spellcheck: 'false', autocomplete: 'off' });
  const channel = select('server-channel-select', [['stable', 'Stable'], ['beta', 'Beta'], ['alpha', 'Alpha']],
    policy.channel);
  const general = generalError('server-policy-error');
  const saved = h('div', { testid: 'server-policy-saved-area' });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'server-policy-save' }, 'Save policy');
  const form = h('form', { testid: 'server-policy-form', novalidate: true },
    h('h2', {}, 'Update policy'),
    general, saved,
    h('div', { class: 'grid two' },
      field('policy.cadence', 'Check for updates', cadence, 'A scheduled check that finds a newer release installs it.'),
      field('policy.channel', 'Channel', channel, 'Beta and alpha also take the more mature channels.')),
    field('policy.version_pin_strategy', 'How far to move', pin),
    checkField('policy.allow_major_upgrade', 'Allow moving to a new major version', allowMajor,
      'Only widens "any newer version of the major line".'),
    field('policy.target_version', 'Target version (optional)', target,
      'An exact version to move to, whatever the pin; empty for none. Never older than the running version.'),
    h('div', { class: 'actions' }, submit));
  const errors = new FormErrors(form, general, 'policy');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    fill(saved);
    submit.disabled = true;
    try {
      await api.put('/api/v1/server/update/policy', { policy: {
        cadence: cadence.value,
        version_pin_strategy: pin.value,
        allow_major_upgrade: allowMajor.checked,
        target_version: target.value.trim() || null,
        channel: channel.value,
      } });
      fill(saved, notice('success', 'Policy saved.', 'server-policy-saved'));
      await reload();
    } catch (e) {
      if (e.status !== 401) errors.show(e);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function runsTable(runs) {
  const { el, tbody } = table('server-runs-table', ['Started', 'From', 'To', 'Status', 'Mode', 'Error', 'Finished']);
  if (runs.length === 0) tbody.append(emptyRow(7, 'No update runs yet.'));
  for (const r of runs) {
    tbody.append(h('tr', { testid: `server-run-${r.run_id}` },
      h('td', {}, time(r.started_at)),
      h('td', {}, r.from_version),
      h('td', {}, r.to_version || '—'),
      h('td', {}, badge(r.status, STATUS_KIND[r.status] || 'info', { testid: `server-run-status-${r.run_id}` })),
      h('td', {}, r.mode || '—'),
      h('td', { testid: `server-run-error-${r.run_id}` },
        r.error_code ? [h('code', {}, r.error_code), ' ', r.error_message || ''] : (r.error_message || '')),
      h('td', {}, time(r.finished_at))));
  }
  return el;
}
