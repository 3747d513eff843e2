import { api, query } from '../api.js';
import { badge, fill, h, link, seg, time } from '../dom.js';
import { fleetSelect, visibleFleets } from '../fleet-choice.js';
import { onEvents } from '../live.js';
import { emptyRow, loadFailed, loading, notice, pageHeader } from '../ui.js';
import { commandButtons, errorCode, statusBadge } from './agent-status.js';

const PAGE = 50;

/** The statuses an agent reports (wire names), for the status filter. */
export const STATUSES = ['up_to_date', 'checking', 'pending', 'downloading', 'staging', 'applying', 'restarting',
  'succeeded', 'failed', 'rolled_back', 'cancelled', 'skipped'];

/** The server's health flags: a filter here and a count on the dashboard. */
export const FLAGS = [
  ['stale', 'stale', 'Not seen for longer than twice its check interval'],
  ['low_disk', 'low disk', 'Its last run failed for lack of disk space (DISK_SPACE)'],
  ['failed', 'failed', 'Its last run failed or was rolled back'],
];

/** Columns the server sorts by (sort=name, -name for descending). */
const SORTABLE = { Agent: 'hostname', Version: 'version', Status: 'status', 'Last check-in': 'last_seen_at' };

/**
 * The enrolled agents, a page at a time (the server pages by cursor), sorted and filtered by fleet, version, status
 * and health flag, searched by host name or id; all kept in the address so a filtered list can be linked. Rows
 * follow the live stream: an agent's new status shows without a reload. Agent-reported strings go in as text.
 */
export async function render(root, ctx) {
  const params = new URLSearchParams(window.location.search);
  const filter = {
    fleet: params.get('fleet') || '', version: params.get('version') || '', status: params.get('status') || '',
    flag: params.get('flag') || '', q: params.get('q') || '', sort: params.get('sort') || 'hostname',
  };
  const toolbar = h('form', { class: 'toolbar agent-filters', testid: 'agent-filters', role: 'search', 'aria-label': 'Filter agents' });
  const area = h('div', {}, loading());
  const outcome = h('div', { testid: 'command-outcome', 'aria-live': 'polite' });
  const previous = h('button', { type: 'button', testid: 'agents-previous' }, '← Previous');
  const next = h('button', { type: 'button', testid: 'agents-next' }, 'Next →');
  const pageLabel = h('span', { class: 'muted', testid: 'agents-page' });
  const pager = h('div', { class: 'pager' }, previous, pageLabel, next);
  root.append(pageHeader('Agents'),
    h('p', { class: 'muted' }, 'Agents enroll with the join token of their installer and then check in regularly. '
      + 'Commands are handed to an agent at its next check-in.'),
    toolbar, outcome, area, pager);

  const fleets = await visibleFleets();
  if (!ctx.isCurrent()) return;
  fill(toolbar, ...filterControls(filter, fleets, (changed) => ctx.navigate(`/agents${query(changed)}`)));

  const starts = [null]; // the cursor of every page visited; the last one is the page shown
  let nextCursor = null;
  const rows = new Map(); // agent id → its row's live parts

  const load = async () => {
    previous.disabled = true;
    next.disabled = true;
    let page;
    try {
      page = await api.get(`/api/v1/agents${query({ ...filter, sort: filter.sort === 'hostname' ? '' : filter.sort, limit: PAGE, cursor: starts[starts.length - 1] })}`);
    } catch (e) {
      if (e.status === 401 || !ctx.isCurrent()) return;
      if (e.status === 404) {
        // the agents service is not part of this server (yet): say so instead of failing
        fill(area, notice('info', 'This server does not list agents yet: the agents service is not installed.', 'agents-unavailable'));
        return;
      }
      loadFailed(area, 'the agents', e, load);
      return;
    }
    if (!ctx.isCurrent()) return;
    const agents = page.agents || [];
    nextCursor = page.next_cursor || null;
    rows.clear();
    fill(area, h('p', { testid: 'agents-count' }, countText(agents.length, starts.length, nextCursor)),
      h('div', { class: 'table-scroll' }, agentTable(agents, filter, outcome, rows, (sort) => ctx.navigate(`/agents${query({ ...filter, sort })}`))));
    previous.disabled = starts.length <= 1;
    next.disabled = !nextCursor;
    pager.hidden = starts.length <= 1 && !nextCursor;
    pageLabel.textContent = `Page ${starts.length}`;
  };
  next.addEventListener('click', () => {
    if (nextCursor) {
      starts.push(nextCursor);
      load();
    }
  });
  previous.addEventListener('click', () => {
    if (starts.length > 1) {
      starts.pop();
      load();
    }
  });
  ctx.onLeave(onEvents(['agent.status', 'agent.outcome'], (event, type) => {
    if (type === 'resync') {
      load();
      return;
    }
    const row = rows.get(event.agent_id);
    if (row) row.update(event);
  }));
  await load();
}

function countText(count, page, more) {
  const agents = `${count} agent${count === 1 ? '' : 's'}`;
  if (page === 1 && !more) return `${agents}.`;
  return `${agents} on this page${more ? '; more on the next' : ''}.`;
}

function filterControls(filter, fleets, apply) {
  const fleet = fleetSelect({ id: 'agents-fleet', testid: 'agents-filter-fleet', fleets, current: filter.fleet });
  const status = h('select', { id: 'agents-status', testid: 'agents-filter-status' },
    h('option', { value: '' }, 'any status'), STATUSES.map((s) => h('option', { value: s }, s)));
  status.value = filter.status;
  const flag = h('select', { id: 'agents-flag', testid: 'agents-filter-flag' },
    h('option', { value: '' }, 'any flag'), FLAGS.map(([value, label]) => h('option', { value }, label)));
  flag.value = filter.flag;
  const version = h('input', { id: 'agents-version', testid: 'agents-filter-version', placeholder: 'e.g. 1.4.2', size: 10, spellcheck: 'false', autocomplete: 'off', value: filter.version });
  const search = h('input', { id: 'agents-search', type: 'search', testid: 'agents-search', placeholder: 'host name or agent id', spellcheck: 'false', autocomplete: 'off', value: filter.q });
  const submit = h('button', { type: 'submit', testid: 'agents-apply' }, 'Search');
  const changed = () => apply({
    fleet: fleet.value, status: status.value, flag: flag.value, version: version.value.trim(), q: search.value.trim(),
    sort: filter.sort === 'hostname' ? '' : filter.sort,
  });
  for (const select of [fleet, status, flag]) select.addEventListener('change', changed);
  const form = [
    h('label', { for: search.id }, 'Search'), search,
    h('label', { for: fleet.id }, 'Fleet'), fleet,
    h('label', { for: version.id }, 'Version'), version,
    h('label', { for: status.id }, 'Status'), status,
    h('label', { for: flag.id }, 'Flag'), flag,
    submit,
  ];
  submit.addEventListener('click', (event) => {
    event.preventDefault();
    changed();
  });
  return form;
}

function header(title, sort, onSort) {
  const key = SORTABLE[title];
  if (!key) return h('th', { scope: 'col' }, title);
  const direction = sort === key ? 'ascending' : sort === `-${key}` ? 'descending' : null;
  const button = h('button', { type: 'button', class: 'sort', testid: `sort-${key}` },
    title, direction === 'ascending' ? ' ▲' : direction === 'descending' ? ' ▼' : '');
  button.addEventListener('click', () => onSort(direction === 'ascending' ? `-${key}` : key));
  return h('th', { scope: 'col', 'aria-sort': direction || 'none' }, button);
}

export function flagBadges(flags, testid) {
  const list = Array.isArray(flags) ? flags : [];
  if (!list.length) return h('span', { class: 'muted', testid }, '—');
  return h('span', { class: 'flags', testid },
    list.map((f) => {
      const known = FLAGS.find(([value]) => value === f);
      return badge(known ? known[1] : f, f === 'failed' ? 'bad' : 'warn', { title: known ? known[2] : f, 'data-flag': f });
    }));
}

function agentTable(agents, filter, outcome, rows, onSort) {
  const titles = ['Agent', 'Fleet', 'Version', 'Status', 'Flags', 'Last check-in', 'Next check', ''];
  const tbody = h('tbody');
  const el = h('table', { class: 'data', testid: 'agents-table' },
    h('thead', {}, h('tr', {}, titles.map((t) => header(t, filter.sort, onSort)))), tbody);
  if (agents.length === 0) {
    const filtered = filter.fleet || filter.version || filter.status || filter.flag || filter.q;
    tbody.append(emptyRow(titles.length, filtered ? 'No agent matches these filters.'
      : 'No agents have enrolled yet. Download an installer from a fleet\'s Installers page.'));
  }
  const dash = () => h('span', { class: 'muted' }, '—');
  for (const a of agents) {
    const version = h('td', { testid: `agent-version-${a.id}` }, a.current_version || dash());
    const target = h('div', { class: 'small muted', testid: `agent-target-${a.id}` }, a.target_version || '');
    const status = h('td', {}, statusBadge(a.status, `agent-status-${a.id}`),
      h('div', { class: 'small' }, 'last result ', statusBadge(a.last_result, `agent-result-${a.id}`)),
      h('div', { class: 'small' }, errorCode(a.last_error_code, `agent-error-${a.id}`)));
    const row = h('tr', { testid: `agent-row-${a.id}`, class: a.revoked_at ? 'inactive' : null },
      h('td', {},
        link(`/agents/${seg(a.id)}`, h('strong', { testid: `agent-hostname-${a.id}` }, a.hostname || a.id), { testid: `open-agent-${a.id}` }),
        h('div', { class: 'small muted' }, h('code', {}, a.id), ` ${a.platform || '?'}-${a.arch || '?'}`),
        a.revoked_at ? h('div', { class: 'small' }, 'revoked') : null),
      h('td', {}, a.fleet ? link(`/fleets/${seg(a.fleet)}`, a.fleet) : dash()),
      h('td', {}, version, target),
      status,
      h('td', {}, flagBadges(a.flags, `agent-flags-${a.id}`)),
      h('td', {}, time(a.last_seen_at)),
      h('td', {}, time(a.next_check_at)),
      h('td', { class: 'row-actions' }, commandButtons(a, outcome, { small: true })));
    // the event carries status, versions and error code (agent.status / agent.outcome): patched in place
    rows.set(a.id, {
      update(event) {
        if (event.status) {
          const badgeEl = row.querySelector(`[data-testid="agent-status-${a.id}"]`);
          if (badgeEl) badgeEl.replaceWith(statusBadge(event.status, `agent-status-${a.id}`));
        }
        if (event.type === 'agent.outcome' && event.status) {
          const resultEl = row.querySelector(`[data-testid="agent-result-${a.id}"]`);
          if (resultEl) resultEl.replaceWith(statusBadge(event.status, `agent-result-${a.id}`));
          const errorEl = row.querySelector(`[data-testid="agent-error-${a.id}"]`);
          if (errorEl) errorEl.replaceWith(errorCode(event.error_code, `agent-error-${a.id}`));
        }
        if (event.current_version) fill(version, event.current_version);
        if (event.target_version !== undefined) target.textContent = event.target_version || '';
        row.classList.add('changed');
      },
    });
    tbody.append(row);
  }
  return el;
}
