// Pieces of a rollout shared by the Rollouts list, a rollout's page and the fleet page: state labels, the progress
// bar (always with its numbers as text), which actions a state allows and what each one does.

import { badge, h } from './dom.js';

export const STATES = ['awaiting_approval', 'running', 'paused', 'rolling_back', 'completed', 'aborted', 'rolled_back'];

/** States in which a rollout still decides what its fleets' agents are offered. */
export const ACTIVE_STATES = new Set(['awaiting_approval', 'running', 'paused', 'rolling_back']);

const STATE_LOOK = {
  awaiting_approval: ['awaiting approval', 'warn'],
  running: ['running', 'info'],
  paused: ['paused', 'bad'],
  rolling_back: ['rolling back', 'warn'],
  completed: ['completed', 'ok'],
  aborted: ['aborted', 'bad'],
  rolled_back: ['rolled back', 'neutral'],
};

export function stateLabel(state) {
  return (STATE_LOOK[state] || [state])[0];
}

export function stateBadge(state, testid) {
  const [label, kind] = STATE_LOOK[state] || [String(state), 'neutral'];
  return badge(label, kind, { testid, 'data-state': state });
}

export function isActive(rollout) {
  return ACTIVE_STATES.has(rollout.state);
}

/** While a rollout is rolled back, its bar counts the agents going back instead of those going forward. */
function reverting(state) {
  return state === 'rolling_back' || state === 'rolled_back';
}

/** "12 of 40 succeeded" and the rest that is not zero: what the bar shows, as text. */
export function progressText(c, state) {
  const counts = c || {};
  const n = (k) => Number(counts[k] || 0);
  if (reverting(state)) {
    // the agents to take back: those that had succeeded (still waiting), are going back, are back or failed to
    const total = n('succeeded') + n('in_progress') + n('reverted') + n('revert_failed');
    const rest = [['in_progress', 'in progress'], ['revert_failed', 'failed to go back']]
      .filter(([k]) => n(k) > 0).map(([k, label]) => `${n(k)} ${label}`);
    return `${n('reverted')} of ${total} back on the previous version${rest.length ? ` (${rest.join(', ')})` : ''}`;
  }
  const extra = [['in_progress', 'in progress'], ['failed', 'failed'], ['rolled_back', 'rolled back'], ['cancelled', 'cancelled']]
    .filter(([k]) => n(k) > 0).map(([k, label]) => `${n(k)} ${label}`);
  return `${n('succeeded')} of ${n('targeted')} succeeded${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/**
 * A stacked bar of succeeded / in progress / failed (failed + rolled back + cancelled) over targeted, with the same
 * numbers as text beside it. The bar is decoration (aria-hidden): the text is what assistive technology reads.
 */
export function progressBar(counts, testid, state) {
  const c = counts || {};
  const back = reverting(state);
  const targeted = back
    ? Number(c.succeeded || 0) + Number(c.in_progress || 0) + Number(c.reverted || 0) + Number(c.revert_failed || 0)
    : Math.max(Number(c.targeted || 0), 0);
  const share = (v) => (targeted > 0 ? Math.min(100, (100 * Number(v || 0)) / targeted) : 0);
  const segment = (cls, v) => {
    const s = h('span', { class: `seg ${cls}` });
    // CSSOM, not a style attribute: the Content-Security-Policy allows no inline style markup
    s.style.width = `${share(v)}%`;
    return s;
  };
  return h('div', { class: 'rollout-progress', testid },
    h('div', { class: 'bar', 'aria-hidden': 'true' },
      segment('ok', back ? c.reverted : c.succeeded),
      segment('busy', c.in_progress),
      segment('bad', back ? c.revert_failed : Number(c.failed || 0) + Number(c.rolled_back || 0) + Number(c.cancelled || 0))),
    h('span', { class: 'small', testid: testid ? `${testid}-text` : null }, progressText(c, state)));
}

/** What each action does, for its button and its confirmation dialog. */
export const ACTIONS = {
  approve: {
    label: 'Approve',
    kind: 'primary',
    allowed: ['awaiting_approval'],
    confirm: (r) => ({
      title: `Approve ${r.component} ${r.version}?`,
      message: `The rollout starts: ${targetedText(r)} of ${fleetsText(r)} are offered ${r.component} ${r.version} wave by wave, within the plan's limits. Your name and the time go to the audit log.`,
      confirmLabel: 'Approve and start',
    }),
  },
  pause: {
    label: 'Pause',
    kind: '',
    allowed: ['running'],
    confirm: (r) => ({
      title: 'Pause this rollout?',
      message: `No further agent is offered ${r.component} ${r.version} until the rollout is resumed. Agents already updating finish their run.`,
      confirmLabel: 'Pause',
    }),
  },
  resume: {
    label: 'Resume',
    kind: 'primary',
    allowed: ['paused'],
    confirm: (r) => ({
      title: 'Resume this rollout?',
      message: `Offers of ${r.component} ${r.version} start again where the rollout stopped, wave by wave, within the plan's limits.`,
      confirmLabel: 'Resume',
    }),
  },
  abort: {
    label: 'Abort',
    kind: 'danger',
    allowed: ['awaiting_approval', 'running', 'paused', 'rolling_back'],
    confirm: (r) => ({
      title: r.state === 'rolling_back' ? 'Stop this rollback?' : 'Abort this rollout?',
      message: r.state === 'rolling_back'
        ? `Offers of the previous versions stop at once. Agents already back stay there; the others stay on ${r.version}. This cannot be undone.`
        : r.state === 'awaiting_approval'
          ? `The rollout ends without offering ${r.component} ${r.version} to anyone, and the version is not offered to these fleets automatically again. This cannot be undone.`
          : `Offers of ${r.component} ${r.version} stop at once; agents still downloading or staging it cancel within about a minute. Agents that already updated stay on ${r.version} (roll back to return them). The version is not offered to these fleets automatically again. This cannot be undone.`,
      confirmLabel: 'Abort rollout',
      danger: true,
    }),
  },
  rollback: {
    label: 'Roll back',
    kind: 'danger',
    allowed: ['running', 'paused', 'completed', 'aborted'],
    confirm: (r) => ({
      title: `Roll back ${r.component} ${r.version}?`,
      message: `New offers of ${r.version} stop. The agents that updated through this rollout are offered the version each ran before, in waves under the same limits, with manifests signed for this rollback. The version is not offered to these fleets automatically again. This cannot be undone.`,
      confirmLabel: 'Roll back',
      danger: true,
    }),
  },
};

export function allowedActions(rollout) {
  return Object.keys(ACTIONS).filter((a) => ACTIONS[a].allowed.includes(rollout.state));
}

function targetedText(r) {
  const n = r.counts && r.counts.targeted !== undefined ? Number(r.counts.targeted) : null;
  return n === null ? 'the targeted agents' : `${n} targeted agent${n === 1 ? '' : 's'}`;
}

function fleetsText(r) {
  const fleets = r.fleets || [];
  return fleets.length === 1 ? `fleet ${fleets[0]}` : `fleets ${fleets.join(', ')}`;
}

/** The plan in words, one fact a line. */
export function planFacts(plan) {
  const p = plan || {};
  const facts = [];
  const canary = p.canary;
  if (canary && Array.isArray(canary.agents) && canary.agents.length) facts.push(['Canary', `named agents: ${canary.agents.join(', ')}`]);
  else if (canary && canary.count) facts.push(['Canary', `${canary.count} agent${canary.count === 1 ? '' : 's'}`]);
  else facts.push(['Canary', 'none']);
  const waves = Array.isArray(p.waves) ? p.waves : [];
  facts.push(['Waves', waves.length
    ? waves.map((w) => (w.percent !== undefined && w.percent !== null ? `${w.percent} %` : `${w.batch_size} agents`)).join(' → ')
    : 'one wave']);
  const num = (v, unit) => (v === undefined || v === null ? '—' : `${v}${unit}`);
  facts.push(['Delay between waves', num(p.delay_between_waves_seconds, ' s')]);
  facts.push(['Max concurrent updates', num(p.max_concurrent, '')]);
  facts.push(['Jitter', num(p.jitter_seconds, ' s')]);
  facts.push(['Success threshold', num(p.success_threshold_percent, ' % of a wave must succeed before the next opens')]);
  facts.push(['Failure threshold', num(p.failure_threshold_percent, ' % of a wave failed or rolled back pauses the rollout')]);
  return facts;
}
