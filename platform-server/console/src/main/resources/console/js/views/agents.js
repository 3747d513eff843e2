import { api } from '../api.js';
import { h, link, seg, time } from '../dom.js';
import { emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

/** The enrolled agents: fleet, platform, version and last check-in. */
export async function render(root, ctx) {
  const area = h('div', {}, loading());
  root.append(pageHeader('Agents'),
    h('p', { class: 'muted' }, 'Agents enroll with the join token of their installer and then check in regularly.'),
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
  const { el, tbody } = table('agents-table', ['Agent', 'Host', 'Fleet', 'Platform', 'Version', 'Last check-in']);
  if (agents.length === 0) {
    tbody.append(emptyRow(6, 'No agents have enrolled yet. Download an installer from a fleet\'s Installers page.'));
  }
  for (const a of agents) {
    tbody.append(h('tr', { testid: `agent-row-${a.id}` },
      h('td', {}, h('code', {}, a.id)),
      h('td', {}, a.hostname || h('span', { class: 'muted' }, '—')),
      h('td', {}, a.fleet ? link(`/fleets/${seg(a.fleet)}`, a.fleet) : '—'),
      h('td', {}, `${a.platform || '?'}-${a.arch || '?'}`),
      h('td', {}, a.current_version || h('span', { class: 'muted' }, '—')),
      h('td', {}, time(a.last_seen_at))));
  }
  area.replaceChildren(h('p', { testid: 'agents-count' }, `${agents.length} agent${agents.length === 1 ? '' : 's'}.`), el);
}
