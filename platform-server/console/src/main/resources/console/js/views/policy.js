import { api } from '../api.js';
import { fill as fillContent, h, link, seg, time } from '../dom.js';
import { checkField, field, FormErrors, generalError } from '../forms.js';
import { timeZones } from '../timezones.js';
import { confirmDialog, loadFailed, loading, pageHeader } from '../ui.js';

/** The pin strategies with what each keeps, as VersionPin.of in the core computes it. */
export const PIN_LABELS = [
  ['major', 'major: keep the installed major line (1.4.2 takes new 1.x minor and patch releases)'],
  ['minor', 'minor: keep the installed minor line (1.4.2 takes new 1.4.x patch releases only)'],
  ['patch', 'patch: keep exactly the installed version (1.4.2 stays until a target version is set)'],
];

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * The update policy editor, for the global policy (/policy) or one fleet's (/fleets/{id}/policy). Every field of
 * the policy has an input whose wrapper carries the API's field path, so a 400 naming a field shows next to it and
 * the user's input stays as typed.
 */
export async function render(root, ctx, params) {
  const fleetId = params && params.fleetId ? params.fleetId : null;
  const url = `/api/v1/update-policies/${fleetId ? seg(fleetId) : 'global'}`;
  const area = h('div', {}, loading());
  root.append(area);

  let fleet = null;
  let current;
  try {
    [fleet, current] = await Promise.all([
      fleetId ? api.get(`/api/v1/fleets/${seg(fleetId)}`) : Promise.resolve(null),
      api.get(url),
    ]);
  } catch (e) {
    loadFailed(area, 'the policy', e, () => ctx.navigate(window.location.pathname, { replace: true }));
    return;
  }

  const title = fleet ? `Update policy: ${fleet.name}` : 'Global update policy';
  const inputs = buildInputs();
  const general = generalError('policy-error');
  const saved = h('div', { class: 'alert success', role: 'status', testid: 'policy-saved', hidden: true });
  const source = h('div', { class: 'source', testid: 'policy-source' });
  const save = h('button', { type: 'submit', class: 'primary', testid: 'save-policy' }, 'Save policy');
  const reset = h('button', { type: 'button', testid: 'reset-policy' }, 'Discard changes');
  const form = h('form', { class: 'policy', testid: 'policy-form', novalidate: true },
    general, saved,
    sections(inputs),
    h('div', { class: 'actions sticky' }, save, reset));
  const errors = new FormErrors(form, general, 'policy');

  const revert = h('button', { type: 'button', class: 'danger-outline', testid: 'revert-to-global' }, 'Revert to global');
  const showSource = (answer) => {
    source.replaceChildren(...describeSource(answer, fleetId));
    source.dataset.source = answer.source || '';
    source.className = `source card ${answer.source || ''}`;
    revert.hidden = !(fleetId && answer.source === 'fleet');
  };
  showSource(current);
  fill(inputs, current.policy || {});

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    saved.hidden = true;
    const built = read(inputs);
    if (built.errors.length) {
      built.errors.forEach((e) => errors.fieldError(e.field, e.message));
      errors.show(built.errors[0]);
      return;
    }
    save.disabled = true;
    try {
      const answer = await api.put(url, { policy: built.policy });
      current = answer && answer.policy ? answer : await api.get(url);
      showSource(current);
      fill(inputs, current.policy || {});
      saved.textContent = fleetId ? 'Policy saved. This fleet now has its own policy.' : 'Global policy saved.';
      saved.hidden = false;
      saved.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      errors.show(e);
    } finally {
      save.disabled = false;
    }
  });

  reset.addEventListener('click', () => {
    errors.clear();
    saved.hidden = true;
    fill(inputs, current.policy || {});
  });

  revert.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Revert to the global policy?',
      message: `The policy of ${fleet.name} is deleted and the fleet follows the global policy again.`,
      confirmLabel: 'Revert to global',
      danger: true,
    });
    if (!ok) return;
    errors.clear();
    try {
      await api.del(url);
      current = await api.get(url);
      showSource(current);
      fill(inputs, current.policy || {});
      saved.textContent = 'The fleet follows the global policy again.';
      saved.hidden = false;
    } catch (e) {
      errors.show(e);
    }
  });

  const crumbs = fleet
    ? h('p', { class: 'breadcrumbs' }, link('/fleets', 'Fleets'), ' / ', link(`/fleets/${seg(fleet.id)}`, fleet.id), ' / policy')
    : null;
  fillContent(area, crumbs, pageHeader(title, fleetId ? revert : null), source, form);
}

function describeSource(answer, fleetId) {
  const changed = answer.updated_at
    ? [' Last changed ', time(answer.updated_at), answer.updated_by ? ` by ${answer.updated_by}` : '', '.']
    : [];
  if (fleetId) {
    if (answer.source === 'fleet') {
      return [h('strong', {}, 'This fleet has its own policy.'), ...changed];
    }
    if (answer.source === 'global') {
      return [h('strong', {}, 'This fleet inherits the global policy.'),
        ' The values below are the global ones; saving gives the fleet its own policy.'];
    }
    return [h('strong', {}, 'This fleet inherits the built-in defaults'),
      ' (no global policy has been saved). Saving gives the fleet its own policy.'];
  }
  if (answer.source === 'global') {
    return [h('strong', {}, 'Applies to every fleet without a policy of its own.'), ...changed];
  }
  return [h('strong', {}, 'No global policy has been saved yet.'),
    ' These are the built-in defaults; saving makes them the global policy for every fleet without its own.'];
}

function number(id, min, max) {
  return h('input', { id, type: 'number', inputmode: 'numeric', step: 1, min, max, class: 'num' });
}

function checkbox(id) {
  return h('input', { id, type: 'checkbox' });
}

function buildInputs() {
  const zones = h('datalist', { id: 'timezone-list' }, timeZones().map((z) => h('option', { value: z })));
  return {
    updateCheckDays: number('policy-update-check-days', 0, 365),
    pinStrategy: h('select', { id: 'policy-version-pin-strategy' },
      // exactly what the core keeps (VersionPin.of) for an agent on 1.4.2: major → the 1.x line, minor → the
      // 1.4.x line, patch → exactly 1.4.2; only major widens with allow_major_upgrade
      PIN_LABELS.map(([value, label]) => h('option', { value, testid: `pin-${value}` }, label))),
    allowMajor: checkbox('policy-allow-major-upgrade'),
    targetVersion: h('input', { id: 'policy-target-version', placeholder: 'latest allowed', spellcheck: 'false', autocomplete: 'off' }),
    telemetry: checkbox('policy-collect-telemetry'),
    window: {
      enabled: checkbox('policy-mw-enabled'),
      startHour: number('policy-mw-start-hour', 0, 23),
      startMin: number('policy-mw-start-min', 0, 59),
      endHour: number('policy-mw-end-hour', 0, 23),
      endMin: number('policy-mw-end-min', 0, 59),
      timezone: h('input', { id: 'policy-mw-timezone', list: 'timezone-list', spellcheck: 'false', autocomplete: 'off', placeholder: 'e.g. Europe/Berlin' }),
      zones,
      days: DAYS.map((_, i) => h('input', { type: 'checkbox', id: `policy-mw-day-${i}`, value: i, testid: `policy-mw-day-${i}` })),
    },
    rollout: {
      staggered: checkbox('policy-rc-staggered'),
      maxConcurrent: number('policy-rc-max-concurrent', 0),
      batchSize: number('policy-rc-batch-size', 0),
      delay: number('policy-rc-delay-between-waves', 0),
      jitter: number('policy-rc-jitter-seconds', 0),
      emergencyAbort: checkbox('policy-rc-emergency-abort'),
      requireApproval: checkbox('policy-require-approval'),
    },
  };
}

function sections(i) {
  const w = i.window;
  const r = i.rollout;
  const p = 'policy.maintenance_window';
  const q = 'policy.rollout_control';
  return [
    h('fieldset', { class: 'card' },
      h('legend', {}, 'Update checks'),
      h('div', { class: 'grid two' },
        field('policy.update_check_days', 'Check for updates every (days)', i.updateCheckDays, '0 turns update checks off; 1 to 365.'),
        checkField('policy.collect_telemetry', 'Collect telemetry', i.telemetry, 'Agents report update runs and versions to this server.'))),
    h('fieldset', { class: 'card' },
      h('legend', {}, 'Versions'),
      h('div', { class: 'grid two' },
        field('policy.version_pin_strategy', 'Version pinning', i.pinStrategy, 'Which new releases agents take on their own, for example from 1.4.2.'),
        field('policy.target_version', 'Target version', i.targetVersion, 'A semantic version such as 2.4.1, or empty for the newest the pinning allows.')),
      checkField('policy.allow_major_upgrade', 'Allow major upgrades', i.allowMajor, 'With the major pinning, agents may also move to a new major version. Has no effect with minor or patch pinning.')),
    h('fieldset', { class: 'card' },
      h('legend', {}, 'Maintenance window'),
      checkField(`${p}.enabled`, 'Install updates only inside this window', w.enabled),
      h('div', { class: 'grid four' },
        field(`${p}.start_hour`, 'Start hour', w.startHour, '0 to 23'),
        field(`${p}.start_min`, 'Start minute', w.startMin, '0 to 59'),
        field(`${p}.end_hour`, 'End hour', w.endHour, '0 to 23'),
        field(`${p}.end_min`, 'End minute', w.endMin, '0 to 59')),
      h('div', { class: 'grid two' },
        field(`${p}.timezone`, 'Time zone', w.timezone, 'An IANA zone name, e.g. Europe/Berlin or America/New_York.'),
        h('div', { class: 'field', 'data-field': `${p}.days_of_week` },
          h('span', { class: 'label', id: 'policy-mw-days-label' }, 'Days'),
          h('div', { class: 'days', role: 'group', 'aria-labelledby': 'policy-mw-days-label' },
            w.days.map((box, d) => h('label', { class: 'day', for: box.id }, box, h('span', {}, DAYS[d])))),
          h('p', { class: 'field-error', hidden: true }))),
      w.zones),
    h('fieldset', { class: 'card' },
      h('legend', {}, 'Rollout control'),
      h('p', { class: 'hint' }, 'A new release that the pinning allows reaches these agents through a rollout the server creates with these settings; rollouts are listed under Rollouts.'),
      checkField('policy.require_approval', 'Require approval: rollouts created for a new release wait for an administrator', r.requireApproval,
        'The rollout shows the release notes and the bundles that change and starts only once approved.'),
      checkField(`${q}.staggered`, 'Roll out in waves', r.staggered, 'Waves of "batch size" agents each, one after the other. Unticked: one wave of all agents, still limited by "max concurrent updates".'),
      h('div', { class: 'grid four' },
        field(`${q}.max_concurrent`, 'Max concurrent updates', r.maxConcurrent, 'At most this many agents update at the same time; the others are told when to ask again.'),
        field(`${q}.batch_size`, 'Batch size (agents per wave)', r.batchSize, 'Used when rolling out in waves.'),
        field(`${q}.delay_between_waves`, 'Delay between waves (s)', r.delay, 'Wait after a wave succeeded (90 % of it) before the next opens.'),
        field(`${q}.jitter_seconds`, 'Jitter (s)', r.jitter, 'Agents told to come back later wait a random 0 to this many seconds more, so they do not all ask at once.')),
      checkField(`${q}.emergency_abort`, 'Emergency stop: offer no update to the agents under this policy while set', r.emergencyAbort,
        'Halts every update offer to these agents at once, rollouts included; agents already installing finish that run.')),
  ];
}

function setNumber(input, value) {
  input.value = value === null || value === undefined ? '' : String(value);
}

function fill(i, policy) {
  const w = policy.maintenance_window || {};
  const r = policy.rollout_control || {};
  setNumber(i.updateCheckDays, policy.update_check_days);
  i.pinStrategy.value = policy.version_pin_strategy || 'minor';
  i.allowMajor.checked = !!policy.allow_major_upgrade;
  i.targetVersion.value = policy.target_version || '';
  i.telemetry.checked = !!policy.collect_telemetry;
  i.window.enabled.checked = !!w.enabled;
  setNumber(i.window.startHour, w.start_hour);
  setNumber(i.window.startMin, w.start_min);
  setNumber(i.window.endHour, w.end_hour);
  setNumber(i.window.endMin, w.end_min);
  i.window.timezone.value = w.timezone || '';
  const days = new Set(Array.isArray(w.days_of_week) ? w.days_of_week : []);
  i.window.days.forEach((box, d) => { box.checked = days.has(d); });
  i.rollout.staggered.checked = !!r.staggered;
  setNumber(i.rollout.maxConcurrent, r.max_concurrent);
  setNumber(i.rollout.batchSize, r.batch_size);
  setNumber(i.rollout.delay, r.delay_between_waves);
  setNumber(i.rollout.jitter, r.jitter_seconds);
  i.rollout.emergencyAbort.checked = !!r.emergency_abort;
  i.rollout.requireApproval.checked = !!policy.require_approval;
}

/** The policy as the API wants it, or the fields the browser already knows are wrong (not whole numbers). */
function read(i) {
  const errors = [];
  // every number of a policy is required (a PUT replaces the whole policy): an empty box is an error here rather
  // than a silent default
  const int = (input, fieldName) => {
    const text = input.value.trim();
    if (text === '' && !(input.validity && input.validity.badInput)) {
      errors.push({ field: fieldName, message: 'Required: enter a whole number.' });
      return null;
    }
    if (!/^-?\d+$/.test(text)) {
      errors.push({ field: fieldName, message: 'Enter a whole number.' });
      return null;
    }
    return Number.parseInt(text, 10);
  };
  const p = 'policy.maintenance_window';
  const q = 'policy.rollout_control';
  const target = i.targetVersion.value.trim();
  const policy = {
    update_check_days: int(i.updateCheckDays, 'policy.update_check_days'),
    version_pin_strategy: i.pinStrategy.value,
    allow_major_upgrade: i.allowMajor.checked,
    target_version: target === '' ? null : target,
    collect_telemetry: i.telemetry.checked,
    require_approval: i.rollout.requireApproval.checked,
    maintenance_window: {
      enabled: i.window.enabled.checked,
      start_hour: int(i.window.startHour, `${p}.start_hour`),
      start_min: int(i.window.startMin, `${p}.start_min`),
      end_hour: int(i.window.endHour, `${p}.end_hour`),
      end_min: int(i.window.endMin, `${p}.end_min`),
      timezone: i.window.timezone.value.trim(),
      days_of_week: i.window.days.filter((box) => box.checked).map((box) => Number(box.value)),
    },
    rollout_control: {
      staggered: i.rollout.staggered.checked,
      max_concurrent: int(i.rollout.maxConcurrent, `${q}.max_concurrent`),
      batch_size: int(i.rollout.batchSize, `${q}.batch_size`),
      delay_between_waves: int(i.rollout.delay, `${q}.delay_between_waves`),
      jitter_seconds: int(i.rollout.jitter, `${q}.jitter_seconds`),
      emergency_abort: i.rollout.emergencyAbort.checked,
    },
  };
  return { policy, errors };
}
