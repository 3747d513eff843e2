import { api, query } from '../api.js';
import { badge, h, link, seg, time } from '../dom.js';
import { ACTIONS, allowedActions, isActive, planFacts, progressBar, stateBadge, stateLabel } from '../rollout-ui.js';
import { debounced, onEvents } from '../live.js';
import { safeFragment } from '../safe-html.js';
import { confirmDialog, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

/** How often an active rollout's page asks for fresh numbers while it is visible. */
const POLL_MS = 2500;

const COUNT_COLUMNS = [
  ['targeted', 'Targeted'],
  ['pending', 'Pending'],
  ['in_progress', 'In progress'],
  ['succeeded', 'Succeeded'],
  ['failed', 'Failed'],
  ['rolled_back', 'Rolled back'],
  ['cancelled', 'Cancelled'],
];
// agents a rollback of the rollout took back to the version they ran before, or failed to
const REVERT_COLUMNS = [
  ['reverted', 'Returned to previous'],
  ['revert_failed', 'Return failed'],
];

/**
 * One rollout: its state and why it paused or ended, the agents failing it, counts and per-wave progress that
 * follow the server live while the rollout is active and the page is visible, the release notes and changes an
 * approver reads, and the actions the state allows, each confirmed first.
 */
export async function render(root, ctx, { rolloutId }) {
  const area = h('div', {}, loading());
  root.append(area);
  const url = `/api/v1/rollouts/${seg(rolloutId)}`;
  let current;
  try {
    current = (await api.get(url)).rollout;
  } catch (e) {
    if (e.status === 401) throw e;
    if (e.status === 404) {
      area.replaceChildren(pageHeader('Rollout not found'),
        notice('error', `There is no rollout with the id ${rolloutId}, or it is not visible to you.`, 'load-error'),
        h('p', {}, link('/rollouts', 'Back to rollouts')));
    } else {
      loadFailed(area, 'the rollout', e, () => ctx.navigate(window.location.pathname, { replace: true }));
    }
    return;
  }
  if (!ctx.isCurrent()) return;

  const actionBar = h('div', { class: 'actions', testid: 'rollout-actions' });
  const actionError = h('div', { class: 'alert error', role: 'alert', testid: 'action-error', hidden: true });
  const actionDone = h('div', { class: 'alert success', role: 'status', testid: 'action-done', hidden: true });
  // announces state changes the page learns by polling; the numbers themselves are not read out every 2.5 s
  const liveState = h('p', { class: 'visually-hidden', 'aria-live': 'polite', testid: 'live-state' });
  const summary = h('section', { class: 'card', testid: 'rollout-summary' });
  const failing = h('section', { class: 'card', testid: 'failing-agents', hidden: true });
  const progress = h('section', { class: 'card', testid: 'rollout-counts' });
  const release = h('section', { class: 'card rollout-release', testid: 'rollout-release' });
  const plan = h('section', { class: 'card', testid: 'rollout-plan' });
  const freshness = h('p', { class: 'small muted', testid: 'rollout-freshness' });

  // hostnames of failing agents the rollout names by id only: asked once per agent, not at every refresh
  const hostnames = new Map();
  const lookUpHostnames = (agents) => {
    const missing = agents.filter((a) => !a.hostname && !hostnames.has(a.agent_id)).slice(0, 20);
    for (const a of missing) hostnames.set(a.agent_id, null);
    if (!missing.length) return;
    Promise.all(missing.map((a) => api.get(`/api/v1/agents/${seg(a.agent_id)}`)
      .then((agent) => hostnames.set(a.agent_id, agent.hostname || ''), () => hostnames.set(a.agent_id, ''))))
      .then(() => {
        if (!poller.stopped && !failing.hidden) failing.replaceChildren(...failingView(current.failing_agents || [], hostnames));
      });
  };
  let shownState = null;
  let messageState = null; // the state an action's message was about: it goes once the state moves on
  const update = (r) => {
    current = r;
    if (r.state !== messageState) {
      actionDone.hidden = true;
      actionError.hidden = true;
    }
    summary.replaceChildren(...summaryView(r));
    failing.hidden = !(r.state === 'paused' && Array.isArray(r.failing_agents) && r.failing_agents.length);
    failing.replaceChildren(...(failing.hidden ? [] : failingView(r.failing_agents, hostnames)));
    if (!failing.hidden) lookUpHostnames(r.failing_agents);
    progress.replaceChildren(...progressView(r));
    freshness.replaceChildren(isActive(r)
      ? `Live: refreshed every few seconds while this page is shown. Last update ${new Date().toLocaleTimeString()}.`
      : 'This rollout has ended; its numbers no longer change.');
    if (r.state !== shownState) {
      // the parts that depend on the state only: rebuilt on a change, so an approver's open details stay open
      if (shownState !== null) liveState.textContent = `The rollout is now ${stateLabel(r.state)}.`;
      shownState = r.state;
      actionBar.replaceChildren(...actionButtons(r, act));
      release.replaceChildren(...releaseView(r, act));
      // awaiting approval, what the approver reads comes first; afterwards the progress does
      if (release.isConnected) {
        if (r.state === 'awaiting_approval') progress.before(release);
        else plan.before(release);
      }
      plan.replaceChildren(h('h2', {}, 'Plan'), h('dl', { class: 'facts' },
        planFacts(r.plan).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    }
  };

  const act = async (action) => {
    const ok = await confirmDialog(ACTIONS[action].confirm(current));
    if (!ok) return;
    actionError.hidden = true;
    actionDone.hidden = true;
    try {
      const answer = await api.post(`${url}/${action}`, {});
      if (!ctx.isCurrent()) return;
      const after = answer.rollout || answer;
      messageState = after.state;
      update(after);
      actionDone.textContent = `Done: the rollout is ${stateLabel(current.state)}.`;
      actionDone.hidden = false;
    } catch (e) {
      if (e.status === 401 || !ctx.isCurrent()) return;
      // the server's state is what the buttons must show next; the refusal stays until that state changes
      await refresh();
      messageState = current.state;
      actionError.textContent = e.status === 409
        ? `Not possible now: ${e.message}`
        : `${ACTIONS[action].label} failed: ${e.message}`;
      actionError.hidden = false;
    }
    poller.restart();
  };

  const refresh = async () => {
    try {
      const fresh = (await api.get(url)).rollout;
      if (!poller.stopped) update(fresh);
    } catch (e) {
      if (e.status === 401) return;
      freshness.textContent = `Could not refresh: ${e.message}. Retrying…`;
    }
  };

  const poller = livePoller(ctx, () => isActive(current), refresh);
  // the live stream says when this rollout moved: refresh at once (the poller stays as the fallback). A hidden page
  // asks nothing, as the poller does not: it refreshes when it is shown again (the poller's visibility handler)
  const refreshSoon = debounced(() => {
    if (document.visibilityState === 'visible') refresh();
  }, 300);
  ctx.onLeave(refreshSoon.cancel);
  ctx.onLeave(onEvents(['rollout.progress', 'rollout.paused'], (event, type) => {
    if (type !== 'resync' && event.rollout_id !== current.id) return;
    if (document.visibilityState === 'visible') refreshSoon();
    else poller.missed = true; // refreshed when shown again, even if the rollout had ended
  }, { whileHidden: true })); // its poller handles visibility (and refreshes when shown again)
  update(current);
  area.replaceChildren(
    h('p', { class: 'breadcrumbs' }, link('/rollouts', 'Rollouts'), ' / ', current.id),
    pageHeader(`Rollout ${current.component} ${current.version}`, actionBar),
    liveState, actionError, actionDone, summary, failing,
    ...(current.state === 'awaiting_approval' ? [release, progress] : [progress, release]), plan, freshness);
  poller.restart();
}

/**
 * Calls refresh every POLL_MS while wanted() holds, the page is the one shown and the document is visible; one
 * request at a time (a timeout chain, never an interval). Hidden → stops; visible again → refreshes at once.
 * Leaving the page stops it and removes its listener, so nothing keeps the page's nodes alive.
 */
function livePoller(ctx, wanted, refresh) {
  let timer = null;
  let running = false;
  const poller = {
    stopped: false,
    // a live event about this rollout arrived while the page was hidden
    missed: false,
    restart() {
      if (poller.stopped) return;
      clearTimeout(timer);
      timer = null;
      schedule();
    },
  };
  const schedule = () => {
    if (poller.stopped || running || timer !== null || document.visibilityState !== 'visible' || !wanted()) return;
    timer = setTimeout(tick, POLL_MS);
  };
  const tick = async () => {
    timer = null;
    if (poller.stopped) return;
    poller.missed = false;
    if (!ctx.isCurrent()) {
      stop();
      return;
    }
    running = true;
    try {
      await refresh();
    } finally {
      running = false;
    }
    schedule();
  };
  const onVisibility = () => {
    if (document.visibilityState === 'visible') {
      if (timer === null && !running && (wanted() || poller.missed)) tick();
    } else {
      clearTimeout(timer);
      timer = null;
    }
  };
  const stop = () => {
    poller.stopped = true;
    clearTimeout(timer);
    timer = null;
    document.removeEventListener('visibilitychange', onVisibility);
  };
  document.addEventListener('visibilitychange', onVisibility);
  ctx.onLeave(stop);
  return poller;
}

function summaryView(r) {
  const facts = [
    ['State', stateBadge(r.state, 'rollout-state')],
    ['Release', [`${r.component} `, h('strong', { testid: 'rollout-version' }, r.version)]],
    ['Fleets', h('span', { class: 'chips' }, (r.fleets || []).map((f) => link(`/fleets/${seg(f)}`, f, { class: 'chip' })))],
    ['Origin', r.origin === 'policy' ? 'created by the server from the fleet policy' : r.origin === 'admin' ? 'created by an administrator' : (r.origin || '—')],
    ['Created', [time(r.created_at), r.created_by ? ` by ${r.created_by}` : '']],
    ['Approved', r.approved_at ? [time(r.approved_at), r.approved_by ? ` by ${r.approved_by}` : ''] : h('span', { class: 'muted' }, r.state === 'awaiting_approval' ? 'not yet' : '—')],
    ['ID', h('code', {}, r.id)],
  ];
  if (r.updated_at) facts.push(['Last change', time(r.updated_at)]);
  const parts = [h('h2', {}, 'Summary'),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))];
  if (r.state === 'paused' && r.paused_reason) {
    parts.push(h('div', { class: 'alert warn', testid: 'paused-reason' }, h('strong', {}, 'Paused: '), r.paused_reason));
  }
  if (r.end_reason) {
    parts.push(h('div', { class: 'alert info', testid: 'end-reason' }, h('strong', {}, 'Ended: '), r.end_reason));
  }
  if (r.state === 'awaiting_approval') {
    parts.push(h('div', { class: 'alert warn', testid: 'awaiting-approval' },
      'Nothing is offered until an administrator approves. Read the release notes and changes below, then approve.'));
  }
  return parts;
}

function failingView(agents, hostnames) {
  const { el, tbody } = table('failing-agents-table', ['Agent', 'Hostname', 'Status', 'Error']);
  for (const a of agents) {
    tbody.append(h('tr', { testid: `failing-${a.agent_id}` },
      h('td', {}, link(`/agents/${seg(a.agent_id)}`, a.agent_id)),
      h('td', {}, a.hostname || hostnames.get(a.agent_id) || '—'),
      h('td', {}, badge(a.status || 'failed', 'bad')),
      h('td', {}, a.error_code ? h('code', { class: 'error-code' }, a.error_code) : '—')));
  }
  return [h('h2', {}, 'Agents that failed'),
    h('p', { class: 'muted' }, 'These agents crossed the failure threshold. Look at their runs before resuming.'), el];
}

function progressView(r) {
  const c = r.counts || {};
  const reverting = ['rolling_back', 'rolled_back'].includes(r.state) || REVERT_COLUMNS.some(([k]) => Number(c[k] || 0) > 0);
  const columns = reverting ? [...COUNT_COLUMNS, ...REVERT_COLUMNS] : COUNT_COLUMNS;
  const totals = table('rollout-counts-table', columns.map(([, label]) => label));
  totals.tbody.append(h('tr', {}, columns.map(([key]) =>
    h('td', { class: 'num', testid: `count-${key}` }, String(c[key] === undefined || c[key] === null ? 0 : c[key])))));
  const waves = Array.isArray(r.waves) ? r.waves : [];
  const hasCanary = !!(r.plan && r.plan.canary);
  // per wave the server counts an agent that rolled itself back as failed: one column for both
  // once a rollback started, each wave also shows how far the rollback got through it (it goes wave by wave too)
  const rollback = waves.some((w) => w.rollback_state);
  const wt = table('rollout-waves-table', ['Wave', 'State', 'Targeted', 'In progress', 'Succeeded', 'Failed or rolled back', 'Cancelled',
    ...(rollback ? ['Rollback'] : []), 'Progress']);
  const cell = (w, key) => h('td', { class: 'num', testid: `wave-${w.index}-${key}` },
    w[key] === undefined || w[key] === null ? '—' : String(w[key]));
  for (const w of waves) {
    const canary = w.canary === true || (w.canary === undefined && hasCanary && w.index === waves[0].index);
    const needs = w.success_needed !== undefined && w.success_needed !== null && w.state !== 'done'
      ? h('div', { class: 'small muted' }, `${w.success_needed} must succeed`) : null;
    wt.tbody.append(h('tr', { testid: `wave-${w.index}`, 'data-state': w.state || '' },
      // numbered as the server's pause reasons name them ("wave 1: 2 of 10 agents failed")
      h('th', { scope: 'row' }, canary ? 'Canary' : `Wave ${w.index}`),
      h('td', {}, badge(WAVE_STATES[w.state] || w.state || '—', waveKind(w.state), { testid: `wave-${w.index}-state` }), needs),
      cell(w, 'targeted'), cell(w, 'in_progress'), cell(w, 'succeeded'), cell(w, 'failed'), cell(w, 'cancelled'),
      rollback ? rollbackCell(w) : null,
      h('td', {}, progressBar(w, `wave-${w.index}-progress`))));
  }
  return [h('h2', {}, 'Progress'), progressBar(c, 'rollout-progress', r.state), totals.el,
    ...(waves.length ? [h('h3', { class: 'waves-title' }, 'Waves'), wt.el] : [h('p', { class: 'muted' }, 'No wave has been planned yet.')])];
}

const WAVE_STATES = { pending: 'not open yet', open: 'open', done: 'reached its threshold' };

/** The rollback's state in one wave and how many of the agents that had succeeded there are back. */
function rollbackCell(w) {
  if (!w.rollback_state) return h('td', {}, '—');
  return h('td', {},
    badge(WAVE_STATES[w.rollback_state] || w.rollback_state, waveKind(w.rollback_state), { testid: `wave-${w.index}-rollback-state` }),
    h('div', { class: 'small muted', testid: `wave-${w.index}-reverted` },
      `${Number(w.reverted || 0)} of ${Number(w.to_revert || 0)} back`
      + (Number(w.revert_failed || 0) > 0 ? `, ${w.revert_failed} failed` : '')));
}

function waveKind(state) {
  if (state === 'open' || state === 'running') return 'info';
  if (state === 'completed' || state === 'done' || state === 'succeeded') return 'ok';
  if (state === 'paused' || state === 'failed') return 'bad';
  return 'neutral';
}

function actionButtons(r, act) {
  // approving belongs under the notes and changes it approves (releaseView), not up here
  return allowedActions(r).filter((a) => a !== 'approve').map((a) => {
    const spec = ACTIONS[a];
    const button = h('button', { type: 'button', class: spec.kind, testid: `rollout-${a}` }, spec.label);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await act(a);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  });
}

/** Release notes, the bundles that change and who is affected: what an approver reads before approving. */
function releaseView(r, act) {
  const awaiting = r.state === 'awaiting_approval';
  const notes = notesView(r);
  const parts = [h('h2', {}, awaiting ? `Approve ${r.component} ${r.version}?` : `Release ${r.component} ${r.version}`)];
  parts.push(h('h3', {}, 'Release notes'), awaiting ? notes : h('details', {}, h('summary', {}, 'Show the release notes'), notes));
  parts.push(h('h3', {}, 'What changes'), changesView(r.changes));
  parts.push(h('h3', {}, 'Fleets and agents affected'), affectedView(r));
  if (awaiting) {
    const approve = h('button', { type: 'button', class: 'primary', testid: 'approve-rollout' }, `Approve and start ${r.version}`);
    approve.addEventListener('click', async () => {
      approve.disabled = true;
      try {
        await act('approve');
      } finally {
        approve.disabled = false;
      }
    });
    parts.push(h('div', { class: 'actions' }, approve));
  }
  return parts;
}

function notesView(r) {
  if (typeof r.release_notes_html === 'string' && r.release_notes_html.trim()) {
    // the server's sanitized rendering, copied through the allowlist (never the raw Markdown as markup)
    return h('div', { class: 'notes-html', testid: 'release-notes' }, safeFragment(r.release_notes_html));
  }
  if (r.release_notes) {
    return h('pre', { class: 'notes', testid: 'release-notes' }, r.release_notes);
  }
  // a server that sends no notes with the rollout: the release's cached Markdown, as text (never as markup)
  const box = h('div', { testid: 'release-notes-box' }, loading('Loading the release notes…'));
  api.get(`/api/v1/releases/artifacts${query({ component: r.component, version: r.version })}`).then((answer) => {
    const withNotes = (answer.artifacts || []).find((a) => a.release_notes);
    box.replaceChildren(withNotes
      ? h('pre', { class: 'notes', testid: 'release-notes' }, withNotes.release_notes)
      : h('p', { class: 'muted', testid: 'release-notes' }, 'The release source published no release notes for this version.'));
  }, (e) => {
    box.replaceChildren(h('p', { class: 'muted', testid: 'release-notes' }, `Could not load the release notes: ${e.message}`));
  });
  return box;
}

/** `changes` as the server sends it: one group per from-version/platform, or a single group, or a bare list. */
function changesView(changes) {
  if (!changes || (Array.isArray(changes) && changes.length === 0)) {
    return h('p', { class: 'muted', testid: 'rollout-changes' }, 'The server did not report which bundles change.');
  }
  const groups = [];
  const isGroup = (g) => g && typeof g === 'object' && Array.isArray(g.bundles);
  if (isGroup(changes)) groups.push(changes);
  else if (Array.isArray(changes) && changes.every(isGroup)) groups.push(...changes);
  else if (Array.isArray(changes)) groups.push({ bundles: changes });
  const out = h('div', { testid: 'rollout-changes' });
  for (const g of groups) {
    const where = [g.from_version ? `from ${g.from_version}` : null, g.platform ? `${g.platform}${g.arch ? `-${g.arch}` : ''}` : null]
      .filter(Boolean).join(', ');
    const { el, tbody } = table('changes-table', ['Bundle', 'Change', 'From', 'To']);
    for (const b of g.bundles) {
      const name = b.symbolic_name || b.symbolicName || b.name || '—';
      tbody.append(h('tr', { 'data-change': b.change || '' },
        h('td', {}, h('code', {}, name)),
        h('td', {}, badge(b.change || 'changed', b.change === 'removed' ? 'bad' : b.change === 'added' ? 'ok' : 'info')),
        h('td', {}, b.from_version || b.fromVersion || '—'),
        h('td', {}, b.to_version || b.toVersion || '—')));
    }
    if (!g.bundles.length) tbody.append(h('tr', { class: 'empty' }, h('td', { colspan: 4 }, 'No bundle changes.')));
    const restart = g.restart_required === undefined && g.restartRequired === undefined ? null
      : (g.restart_required || g.restartRequired)
        ? badge('full install: the runtime changes, agents restart', 'warn')
        : badge('bundles only: hot swap, no restart', 'ok');
    out.append(h('div', { class: 'change-group' }, where || restart ? h('p', {}, where ? h('strong', {}, where) : null, ' ', restart) : null, el));
  }
  return out;
}

function affectedView(r) {
  const byFleet = r.targeted_by_fleet;
  const rows = [];
  if (Array.isArray(byFleet)) {
    for (const e of byFleet) rows.push([e.fleet || e.fleet_id || e.id, e.targeted]);
  } else if (byFleet && typeof byFleet === 'object') {
    for (const [fleet, n] of Object.entries(byFleet)) rows.push([fleet, typeof n === 'object' && n ? n.targeted : n]);
  } else {
    for (const f of r.fleets || []) rows.push([f, null]);
  }
  const { el, tbody } = table('affected-table', ['Fleet', 'Targeted agents']);
  for (const [fleet, n] of rows) {
    tbody.append(h('tr', { testid: `affected-${fleet}` },
      h('td', {}, link(`/fleets/${seg(fleet)}`, fleet)),
      h('td', { class: 'num' }, n === null || n === undefined ? '—' : String(n))));
  }
  const total = r.counts && r.counts.targeted !== undefined ? r.counts.targeted : null;
  return h('div', {}, el, total === null ? null : h('p', { class: 'small muted' },
    `${total} agent${total === 1 ? '' : 's'} targeted in all. Agents enrolled after the start join the last wave.`));
}
