import { api } from '../api.js';
import { h, link, seg, time } from '../dom.js';
import { emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';
import { commandButtons, errorCode, statusBadge } from './agent-status.js';

/**
 * The enrolled agents with their update state (status, target, last result and error, next check) and the
 * commands an administrator can queue for each. Hostnames and every other agent-reported string go in as text.
 */
export async function render(root, ctx) {
  const area = h('div', {}, loading());
  root.append(pageHeader('Agents'),
    h('p', { class: 'muted' }, 'Agents enroll with the join token of their installer and then check in regularly. '
      + 'Commands are handed to an agent at its next check-in.'),
    area);
  let list;
  try {
    list = await api.get('/api/v1/agents');
  } catch (e) {
    if (e.status === 404) {
      // the agents service is not part of this server (yet): say so instead of failing
      area.replaceChildren(notice('info', 'This server does not list agents yet: the agents service is not installed.', 'agents-unavailable'));
      return;
    }
    loadFailed(area, 'the agents', e, () => ctx.navigate('/agents', { replace: true }));
    return;
  }
  const agents = [...(list.agents || [])].sort((a, b) => String(a.fleet).localeCompare(String(b.fleet)) || String(a.id).localeCompare(String(b.id)));
  // one place for the outcome of the last command, above the table, so a wide table never hides it
  const outcome = h('div', { testid: 'command-outcome', 'aria-live': 'polite' });
  const { el, tbody } = table('agents-table', ['Agent', 'Fleet', 'Platform', 'Version', 'Target', 'Status',
    'Last error', 'Last result', 'Last check-in', 'Next check', '']);
  if (agents.length === 0) {
    tbody.append(emptyRow(11, 'No agents have enrolled yet. Download an installer from a fleet\'s Installers page.'));
  }
  for (const a of agents) {
    const dash = () => h('span', { class: 'muted' }, '—');
    tbody.append(h('tr', { testid: `agent-row-${a.id}`, class: a.revoked_at ? 'inactive' : null },
      h('td', {},
        link(`/agents/${seg(a.id)}`, h('code', {}, a.id), { testid: `open-agent-${a.id}` }),
        h('div', { class: 'small muted', testid: `agent-hostname-${a.id}` }, a.hostname || ''),
        a.revoked_at ? h('div', { class: 'small' }, 'revoked') : null),
      h('td', {}, a.fleet ? link(`/fleets/${seg(a.fleet)}`, a.fleet) : '—'),
      h('td', {}, `${a.platform || '?'}-${a.arch || '?'}`),
      h('td', { testid: `agent-version-${a.id}` }, a.current_version || dash()),
      h('td', { testid: `agent-target-${a.id}` }, a.target_version || dash()),
      h('td', {}, statusBadge(a.status, `agent-status-${a.id}`)),
      h('td', {}, errorCode(a.last_error_code, `agent-error-${a.id}`)),
      h('td', {}, statusBadge(a.last_result, `agent-result-${a.id}`)),
      h('td', {}, time(a.last_seen_at)),
      h('td', {}, time(a.next_check_at)),
      h('td', { class: 'row-actions' }, commandButtons(a, outcome, { small: true }))));
  }
  area.replaceChildren(h('p', { testid: 'agents-count' }, `${agents.length} agent${agents.length === 1 ? '' : 's'}.`),
    outcome, h('div', { class: 'table-scroll' }, el));
}
