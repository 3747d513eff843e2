import { api, query } from '../api.js';
import { fill, h, link, seg, time } from '../dom.js';
import { emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';
import { onEvents } from '../live.js';
import { commandButtons, errorCode, statusBadge } from './agent-status.js';
import { flagBadges } from './agents.js';

const PAGE = 50;

function dash() {
  return h('span', { class: 'muted' }, '—');
}

function formatBytes(n) {
  if (n === null || n === undefined) return dash();
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return h('span', { title: `${n} bytes` }, u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`);
}

function formatMillis(ms) {
  if (ms === null || ms === undefined) return dash();
  return h('span', { title: `${ms} ms` }, ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
}

/** What a transition changed: the agent's versions, or a vendor plugin's (metadata.mode "plugin"); hot swaps say so. */
function versionsOf(t) {
  const meta = t.metadata || {};
  if (meta.mode === 'plugin') {
    return `plugin ${meta.component || '?'} ${meta.from_version || '?'} → ${t.target_version || '?'}`;
  }
  if (!t.current_version && !t.target_version) return dash();
  const versions = `${t.current_version || '?'} → ${t.target_version || '?'}`;
  return meta.mode === 'hot-swap' ? `${versions} (hot swap)` : versions;
}

function transitionRow(t) {
  const versions = h('span', { testid: `transition-versions-${t.id}` }, versionsOf(t));
  return h('tr', { testid: `transition-${t.id}`, 'data-status': t.status },
    h('td', {}, time(t.timestamp)),
    h('td', {}, statusBadge(t.status, `transition-status-${t.id}`)),
    h('td', {}, h('code', { class: 'small' }, t.run_id || '')),
    h('td', {}, versions),
    h('td', {}, errorCode(t.error_code, `transition-error-code-${t.id}`)),
    // agent-provided text: always a text node (h() never parses markup)
    h('td', { class: 'message', testid: `transition-message-${t.id}` }, t.error_message || ''),
    h('td', {}, formatMillis(t.download_time_ms)),
    h('td', {}, formatBytes(t.size_bytes)));
}

function pendingTable(commands) {
  const { el, tbody } = table('pending-commands', ['Command', 'ID', 'Queued', 'By', 'State']);
  if (commands.length === 0) tbody.append(emptyRow(5, 'No commands are waiting for this agent\'s next check-in.'));
  for (const c of commands) {
    tbody.append(h('tr', { testid: `pending-${c.id}`, 'data-command': c.command },
      h('td', { class: 'strong' }, c.command),
      h('td', {}, h('code', {}, c.id)),
      h('td', {}, time(c.created_at)),
      h('td', {}, c.created_by || dash()),
      h('td', {}, c.state || 'pending')));
  }
  return el;
}

/** One agent: its update summary, commands to queue, the commands still pending and its telemetry transitions. */
export async function render(root, ctx, { agentId }) {
  const area = h('div', {}, loading());
  root.append(area);
  let agent;
  let telemetry;
  try {
    [agent, telemetry] = await Promise.all([
      api.get(`/api/v1/agents/${seg(agentId)}`),
      api.get(`/api/v1/agents/${seg(agentId)}/telemetry${query({ limit: PAGE })}`),
    ]);
  } catch (e) {
    if (e.status === 404) {
      area.replaceChildren(pageHeader('Agent not found'),
        notice('error', `There is no agent with the id ${agentId} (or it belongs to a fleet you may not see).`, 'load-error'),
        h('p', {}, link('/agents', 'Back to agents')));
    } else {
      loadFailed(area, 'the agent', e, () => ctx.navigate(`/agents/${seg(agentId)}`, { replace: true }));
    }
    return;
  }

  const pendingArea = h('div', { testid: 'pending-area' }, pendingTable(agent.pending_commands || []));
  const refreshPending = async () => {
    try {
      const fresh = await api.get(`/api/v1/agents/${seg(agent.id)}`);
      pendingArea.replaceChildren(pendingTable(fresh.pending_commands || []));
    } catch (e) {
      if (e.status !== 401) pendingArea.replaceChildren(notice('error', `Could not reload the pending commands: ${e.message}`, 'pending-error'));
    }
  };
  const outcome = h('div', { testid: 'command-outcome', 'aria-live': 'polite' });
  const buttons = commandButtons(agent, outcome, { afterQueued: refreshPending });

  const { el: transitions, tbody } = table('transitions', ['Time', 'Status', 'Run', 'Versions', 'Error', 'Message',
    'Download time', 'Size']);
  const rows = telemetry.transitions || [];
  if (rows.length === 0) tbody.append(emptyRow(8, 'This agent has not reported any update activity yet.'));
  rows.forEach((t) => tbody.append(transitionRow(t)));
  const more = h('button', { type: 'button', testid: 'older-transitions', hidden: !telemetry.next_before }, 'Show older');
  let before = telemetry.next_before;
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const page = await api.get(`/api/v1/agents/${seg(agent.id)}/telemetry${query({ limit: PAGE, before })}`);
      (page.transitions || []).forEach((t) => tbody.append(transitionRow(t)));
      before = page.next_before;
      more.hidden = !before;
    } catch (e) {
      if (e.status !== 401) more.after(notice('error', `Could not load older transitions: ${e.message}`, 'older-error'));
    } finally {
      more.disabled = false;
    }
  });

  // the parts the live stream updates: an agent.status or agent.outcome event of this agent replaces them
  const live = {
    version: h('dd', { testid: 'agent-version' }, agent.current_version || dash()),
    target: h('dd', { testid: 'agent-target' }, agent.target_version || dash()),
    status: h('dd', {}, statusBadge(agent.status, 'agent-status'), ' ', agent.status_at ? time(agent.status_at) : null),
    error: h('dd', {}, errorCode(agent.last_error_code, 'agent-error')),
    result: h('dd', {}, statusBadge(agent.last_result, 'agent-result')),
  };
  // events update the page in place from their own data (no request), so they are taken while hidden too
  ctx.onLeave(onEvents(['agent.status', 'agent.outcome'], (event, type) => {
    if (type === 'resync' || event.agent_id !== agent.id) return;
    if (event.status) fill(live.status, statusBadge(event.status, 'agent-status'), ' ', time(event.at));
    if (event.current_version) fill(live.version, event.current_version);
    if (event.target_version !== undefined) fill(live.target, event.target_version || dash());
    if (type === 'agent.outcome') {
      fill(live.result, statusBadge(event.status, 'agent-result'));
      fill(live.error, errorCode(event.error_code, 'agent-error'));
    }
  }, { whileHidden: true }));
  fill(area,
    h('p', { class: 'breadcrumbs' }, link('/agents', 'Agents'), ' / ', agent.id),
    pageHeader(`Agent ${agent.id}`, ...buttons),
    outcome,
    agent.revoked_at ? notice('warn', 'This agent has been revoked: its credential no longer works.', 'agent-revoked') : null,
    h('div', { class: 'card' },
      h('h2', {}, 'Update state'),
      h('dl', { class: 'facts', testid: 'agent-facts' },
        h('dt', {}, 'Host'), h('dd', { testid: 'agent-hostname' }, agent.hostname || dash()),
        h('dt', {}, 'Fleet'), h('dd', {}, agent.fleet ? link(`/fleets/${seg(agent.fleet)}`, agent.fleet) : dash()),
        h('dt', {}, 'Platform'), h('dd', {}, `${agent.platform || '?'}-${agent.arch || '?'}`),
        h('dt', {}, 'Version'), live.version,
        h('dt', {}, 'Target'), live.target,
        h('dt', {}, 'Status'), live.status,
        h('dt', {}, 'Flags'), h('dd', {}, flagBadges(agent.flags, 'agent-flags')),
        h('dt', {}, 'Last error'), live.error,
        h('dt', {}, 'Last result'), live.result,
        h('dt', {}, 'Last run'), h('dd', {}, agent.last_run_id ? h('code', {}, agent.last_run_id) : dash()),
        h('dt', {}, 'Last check-in'), h('dd', {}, time(agent.last_seen_at)),
        h('dt', {}, 'Next check'), h('dd', {}, time(agent.next_check_at)),
        h('dt', {}, 'Enrolled'), h('dd', {}, time(agent.enrolled_at)))),
    h('div', { class: 'card' },
      h('h2', {}, 'Pending commands'),
      h('p', { class: 'muted' }, 'Handed to the agent at its next check-in, oldest first.'),
      pendingArea),
    h('div', { class: 'card' },
      h('h2', {}, 'Update activity'),
      h('p', { class: 'muted' }, 'The transitions the agent reported, newest first.'),
      h('div', { class: 'table-scroll' }, transitions),
      more));
}
