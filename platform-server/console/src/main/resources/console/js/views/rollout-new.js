import { api, getAll, query } from '../api.js';
import { h, link, seg } from '../dom.js';
import { checkField, field, FormErrors, generalError } from '../forms.js';
import { loadFailed, loading, pageHeader } from '../ui.js';

// what the server uses when a policy does not say: a wave must succeed to 90 % to open the next; 10 % failed pauses
const DEFAULT_SUCCESS_THRESHOLD = 90;
const DEFAULT_FAILURE_THRESHOLD = 10;

/** Every agent of a fleet, page by page (the list is paged: 500 at most per page), up to 20 pages. */
async function allAgents(fleetId) {
  const agents = [];
  let cursor = null;
  for (let page = 0; page < 20; page += 1) {
    const answer = await api.get(`/api/v1/agents${query({ fleet: fleetId, limit: 500, cursor })}`);
    agents.push(...(answer.agents || []));
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return agents;
}

/**
 * A new rollout: a cached agent release, the fleets, and the plan, filled in from the policy of the first fleet
 * chosen (its rollout control and require_approval) until the user edits the plan. A 400 lands next to the field
 * the server names (plan.waves[1].percent lands on the waves box).
 */
export async function render(root, ctx) {
  const area = h('div', {}, loading());
  root.append(area);
  const wanted = new URLSearchParams(window.location.search).get('fleet');
  let fleets;
  let artifacts;
  try {
    [fleets, artifacts] = await Promise.all([
      getAll('/api/v1/fleets', 'fleets').then((r) => r.fleets || []),
      api.get(`/api/v1/releases/artifacts${query({ component: 'agent' })}`).then((r) => r.artifacts || []),
    ]);
  } catch (e) {
    if (e.status === 401) throw e;
    loadFailed(area, 'the fleets and releases', e, () => ctx.navigate(window.location.pathname + window.location.search, { replace: true }));
    return;
  }
  if (!ctx.isCurrent()) return;

  const i = buildInputs(releases(artifacts), fleets);
  const general = generalError('rollout-error');
  const prefillNote = h('p', { class: 'hint', testid: 'plan-prefill', 'aria-live': 'polite' });
  const refill = h('button', { type: 'button', class: 'small', testid: 'plan-refill', hidden: true }, 'Use the fleet\'s defaults again');
  const create = h('button', { type: 'submit', class: 'primary', testid: 'create-rollout' }, 'Create rollout');
  const form = h('form', { class: 'policy', testid: 'rollout-form', novalidate: true },
    general,
    h('fieldset', { class: 'card' },
      h('legend', {}, 'Release and fleets'),
      i.releaseCount === 0
        ? h('p', { class: 'alert warn', testid: 'no-releases' }, 'No agent release is cached yet. ', link('/releases', 'Sync releases'), ' first.')
        : null,
      field('version', 'Agent release', i.version, 'A cached, signed agent release. Agents of the fleets that run an older version and whose platform has this release are targeted.'),
      h('div', { class: 'field', 'data-field': 'fleets' },
        h('span', { class: 'label', id: 'rollout-fleets-label' }, 'Fleets'),
        fleets.length
          ? h('div', { class: 'checks', role: 'group', 'aria-labelledby': 'rollout-fleets-label' },
            i.fleetBoxes.map((box) => h('label', { class: 'check-label', for: box.id }, box, h('span', {}, box.dataset.label))))
          : h('p', { class: 'muted' }, 'No fleets yet. ', link('/fleets', 'Create one'), ' first.'),
        h('p', { class: 'field-error', hidden: true }))),
    h('fieldset', { class: 'card' },
      h('legend', {}, 'Plan'),
      h('div', { class: 'prefill' }, prefillNote, refill),
      h('div', { class: 'grid two' },
        field('plan.canary', 'Canary', i.canaryMode, 'A first wave of a few agents; the rest waits until it succeeded.'),
        h('div', {},
          field('plan.canary.count', 'Canary size (agents)', i.canaryCount),
          field('plan.canary.agents', 'Canary agents (ids)', i.canaryAgents, 'Agent ids such as agt_…, separated by commas or spaces.'),
          i.agentList)),
      h('div', { class: 'grid two' },
        field('plan.waves.mode', 'Wave sizes are', i.wavesMode),
        field('plan.waves', 'Waves', i.waves, 'One number a wave, in order, separated by commas: percentages of the targeted agents (e.g. 10, 40, 50), or agent counts. The last wave takes everyone left, agents enrolled later included.')),
      h('div', { class: 'grid four' },
        field('plan.delay_between_waves_seconds', 'Delay between waves (s)', i.delay, 'Wait after a wave reached the success threshold before the next opens.'),
        field('plan.max_concurrent', 'Max concurrent updates', i.maxConcurrent, 'At most this many agents update at once; the others are told when to ask again.'),
        field('plan.jitter_seconds', 'Jitter (s)', i.jitter, 'Agents held back come back after a random 0 to this many seconds more, so a wave opening is not a stampede.'),
        h('div', {})),
      h('div', { class: 'grid two' },
        field('plan.success_threshold_percent', 'Success threshold (%)', i.success, 'Share of a wave that must succeed before the next wave opens.'),
        field('plan.failure_threshold_percent', 'Failure threshold (%)', i.failure, 'Share of a wave failed or rolled back at which the rollout pauses by itself.')),
      checkField('require_approval', 'Require approval: the rollout waits until an administrator has read the release notes and approved it', i.requireApproval)),
    h('div', { class: 'actions sticky' }, create, link('/rollouts', 'Cancel', { class: 'button' })));
  const errors = new FormErrors(form, general);

  const syncCanary = () => {
    i.canaryCount.closest('.field').hidden = i.canaryMode.value !== 'count';
    i.canaryAgents.closest('.field').hidden = i.canaryMode.value !== 'agents';
  };
  i.canaryMode.addEventListener('change', syncCanary);

  // prefill from the first fleet ticked, until the user changes the plan by hand
  const chosen = [];
  let planEdited = false;
  let prefilledFrom = null;
  const prefill = async (fleetId) => {
    prefilledFrom = fleetId;
    if (!fleetId) {
      prefillNote.textContent = 'Choose a fleet to start from its policy\'s rollout settings.';
      refill.hidden = true;
      return;
    }
    let answer;
    let fleetAgents = [];
    try {
      [answer, fleetAgents] = await Promise.all([
        api.get(`/api/v1/update-policies/${seg(fleetId)}`),
        // the fleet's agents: how many waves of batch_size it takes, and ids to pick a canary from
        allAgents(fleetId).then((agents) => agents.filter((a) => !a.revoked_at))
          .catch((e) => { if (e.status === 401) throw e; return []; }),
      ]);
    } catch (e) {
      if (e.status === 401) throw e;
      prefillNote.textContent = `Could not read the policy of ${fleetId}: ${e.message}`;
      return;
    }
    if (prefilledFrom !== fleetId || !ctx.isCurrent()) return; // the user picked another fleet meanwhile
    fillPlan(i, answer.policy || {}, fleetAgents.length);
    i.agentList.replaceChildren(...fleetAgents.map((a) => h('option', { value: a.id }, a.hostname || a.id)));
    syncCanary();
    planEdited = false;
    refill.hidden = true;
    const source = answer.source === 'fleet' ? 'its own policy' : answer.source === 'global' ? 'the global policy it follows' : 'the built-in defaults it follows';
    prefillNote.textContent = `Filled in from fleet ${fleetId}: ${source}.`;
  };
  for (const box of i.fleetBoxes) {
    box.addEventListener('change', () => {
      const before = chosen[0] || null;
      if (box.checked) chosen.push(box.value);
      else chosen.splice(chosen.indexOf(box.value), 1);
      const first = chosen[0] || null;
      if (first !== before && !planEdited) prefill(first);
      else if (first !== prefilledFrom) refill.hidden = !first;
    });
  }
  for (const input of i.planInputs) {
    input.addEventListener('input', () => { planEdited = true; if (chosen[0]) refill.hidden = false; });
    input.addEventListener('change', () => { planEdited = true; if (chosen[0]) refill.hidden = false; });
  }
  refill.addEventListener('click', () => prefill(chosen[0] || null));

  fillPlan(i, {});
  syncCanary();
  prefillNote.textContent = 'Choose a fleet to start from its policy\'s rollout settings.';
  const preselected = i.fleetBoxes.find((b) => b.value === wanted);
  if (preselected) {
    preselected.checked = true;
    chosen.push(preselected.value);
    await prefill(preselected.value);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const built = read(i, chosen);
    if (built.errors.length) {
      built.errors.forEach((e) => errors.fieldError(e.field, e.message));
      errors.show(built.errors[0]);
      return;
    }
    create.disabled = true;
    try {
      const answer = await api.post('/api/v1/rollouts', built.body);
      const created = answer.rollout || answer;
      ctx.flash('success', created.state === 'awaiting_approval'
        ? `Rollout ${created.id} created; it waits for approval.`
        : `Rollout ${created.id} created and started.`);
      ctx.navigate(`/rollouts/${seg(created.id)}`);
    } catch (e) {
      errors.show(e);
    } finally {
      create.disabled = false;
    }
  });

  area.replaceChildren(h('p', { class: 'breadcrumbs' }, link('/rollouts', 'Rollouts'), ' / new'),
    pageHeader('New rollout'), form);
}

/** Versions of the cached agent artifacts, newest first, each with its platforms and channel. */
function releases(artifacts) {
  const byVersion = new Map();
  for (const a of artifacts) {
    if (a.component !== 'agent' || a.cached === false) continue;
    if (!byVersion.has(a.version)) byVersion.set(a.version, { version: a.version, channel: a.channel, platforms: new Set() });
    byVersion.get(a.version).platforms.add(a.platform === 'any' ? 'any' : `${a.platform}-${a.arch}`);
  }
  return [...byVersion.values()];
}

function number(id, min, max) {
  return h('input', { id, type: 'number', inputmode: 'numeric', step: 1, min, max, class: 'num' });
}

function buildInputs(versions, fleets) {
  const version = h('select', { id: 'rollout-version' },
    h('option', { value: '' }, versions.length ? 'Choose a release…' : 'No release cached'),
    versions.map((v) => h('option', { value: v.version },
      `${v.version} — ${[...v.platforms].sort().join(', ')}${v.channel ? ` (${v.channel})` : ''}`)));
  const fleetBoxes = [...fleets].sort((a, b) => String(a.name).localeCompare(String(b.name))).map((f) => {
    const box = h('input', { type: 'checkbox', id: `rollout-fleet-${f.id}`, value: f.id, testid: `rollout-fleet-${f.id}` });
    box.dataset.label = `${f.name} (${f.id})`;
    return box;
  });
  const canaryMode = h('select', { id: 'rollout-canary-mode' },
    h('option', { value: 'none' }, 'No canary'),
    h('option', { value: 'count' }, 'A number of agents'),
    h('option', { value: 'agents' }, 'Named agents'));
  const canaryCount = number('rollout-canary-count', 1);
  const agentList = h('datalist', { id: 'rollout-agent-list' });
  const canaryAgents = h('input', { id: 'rollout-canary-agents', list: agentList.id, spellcheck: 'false', autocomplete: 'off', placeholder: 'agt_…' });
  const wavesMode = h('select', { id: 'rollout-waves-mode' },
    h('option', { value: 'percent' }, 'percentages of the targeted agents'),
    h('option', { value: 'batch_size' }, 'numbers of agents (batch sizes)'));
  const waves = h('input', { id: 'rollout-waves', spellcheck: 'false', autocomplete: 'off', placeholder: 'e.g. 10, 40, 50' });
  const delay = number('rollout-delay', 0);
  const maxConcurrent = number('rollout-max-concurrent', 1);
  const jitter = number('rollout-jitter', 0);
  const success = number('rollout-success-threshold', 0, 100);
  const failure = number('rollout-failure-threshold', 0, 100);
  const requireApproval = h('input', { type: 'checkbox', id: 'rollout-require-approval' });
  return {
    version, fleetBoxes, agentList, canaryMode, canaryCount, canaryAgents, wavesMode, waves, delay, maxConcurrent, jitter,
    success, failure, requireApproval, releaseCount: versions.length,
    planInputs: [canaryMode, canaryCount, canaryAgents, wavesMode, waves, delay, maxConcurrent, jitter, success, failure, requireApproval],
  };
}

const setNumber = (input, value) => { input.value = value === null || value === undefined ? '' : String(value); };

/** At most this many waves are written out for a staggered policy, as the server does for automatic rollouts. */
const MAX_WAVES = 100;

/**
 * The plan the server makes of a fleet's policy for an automatic rollout: not staggered → one wave of everyone;
 * staggered → waves of batch_size agents, as many as the fleet's agents need (the last wave takes everyone left,
 * late joiners too); the same cap, delay and jitter.
 */
function fillPlan(i, policy, agentCount = 0) {
  const rc = policy.rollout_control || {};
  i.canaryMode.value = 'none';
  i.canaryCount.value = '';
  i.canaryAgents.value = '';
  if (rc.staggered && rc.batch_size) {
    i.wavesMode.value = 'batch_size';
    const count = Math.min(MAX_WAVES, Math.max(1, Math.ceil(agentCount / rc.batch_size)));
    i.waves.value = Array(count).fill(String(rc.batch_size)).join(', ');
  } else {
    i.wavesMode.value = 'percent';
    i.waves.value = '100';
  }
  setNumber(i.delay, rc.delay_between_waves !== undefined ? rc.delay_between_waves : 0);
  setNumber(i.maxConcurrent, rc.max_concurrent !== undefined ? rc.max_concurrent : 10);
  setNumber(i.jitter, rc.jitter_seconds !== undefined ? rc.jitter_seconds : 0);
  setNumber(i.success, DEFAULT_SUCCESS_THRESHOLD);
  setNumber(i.failure, DEFAULT_FAILURE_THRESHOLD);
  i.requireApproval.checked = !!policy.require_approval;
}

/** The request body, or the fields the browser already knows are wrong (ranges are the server's to judge). */
function read(i, chosen) {
  const errors = [];
  const int = (input, name) => {
    const text = input.value.trim();
    if (!/^-?\d+$/.test(text)) {
      errors.push({ field: name, message: text === '' ? 'Required: enter a whole number.' : 'Enter a whole number.' });
      return null;
    }
    return Number.parseInt(text, 10);
  };
  if (!i.version.value) errors.push({ field: 'version', message: 'Choose the release to roll out.' });
  // the fleets in the order ticked: the first is the one the plan came from
  const fleets = [...chosen];
  if (!fleets.length) errors.push({ field: 'fleets', message: 'Tick at least one fleet.' });
  let canary = null;
  if (i.canaryMode.value === 'count') {
    canary = { count: int(i.canaryCount, 'plan.canary.count') };
  } else if (i.canaryMode.value === 'agents') {
    const agents = i.canaryAgents.value.split(/[\s,;]+/).filter(Boolean);
    if (!agents.length) errors.push({ field: 'plan.canary.agents', message: 'Name at least one agent, or choose another canary.' });
    canary = { agents };
  }
  const waveTexts = i.waves.value.split(/[\s,;]+/).filter(Boolean);
  const waves = [];
  if (!waveTexts.length) errors.push({ field: 'plan.waves', message: 'Enter at least one wave.' });
  else if (waveTexts.some((t) => !/^\d+$/.test(t))) errors.push({ field: 'plan.waves', message: 'Enter whole numbers separated by commas.' });
  else for (const t of waveTexts) waves.push({ [i.wavesMode.value]: Number.parseInt(t, 10) });
  const body = {
    component: 'agent',
    version: i.version.value,
    fleets,
    plan: {
      canary,
      waves,
      delay_between_waves_seconds: int(i.delay, 'plan.delay_between_waves_seconds'),
      max_concurrent: int(i.maxConcurrent, 'plan.max_concurrent'),
      jitter_seconds: int(i.jitter, 'plan.jitter_seconds'),
      success_threshold_percent: int(i.success, 'plan.success_threshold_percent'),
      failure_threshold_percent: int(i.failure, 'plan.failure_threshold_percent'),
    },
    require_approval: i.requireApproval.checked,
  };
  return { body, errors };
}
