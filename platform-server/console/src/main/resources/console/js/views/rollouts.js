import { api, getAll, query } from '../api.js';
import { badge, h, link, seg, time } from '../dom.js';
import { progressBar, stateBadge, stateLabel, STATES } from '../rollout-ui.js';
import { debounced, onEvents } from '../live.js';
import { emptyRow, loadFailed, loading, pageHeader, table } from '../ui.js';

const PAGE = 50;

/**
 * Rollouts, newest first, filtered by fleet and state (kept in the address, so a filtered list can be linked and
 * survives a reload). Each row: state, release, fleets, progress, when and by whom, and whether an admin or the
 * policy started it.
 */
export async function render(root, ctx) {
  const params = new URLSearchParams(window.location.search);
  const filter = { fleet: params.get('fleet') || '', state: params.get('state') || '' };
  const newLink = link(`/rollouts/new${query({ fleet: filter.fleet })}`, 'New rollout', { class: 'button primary', testid: 'new-rollout' });
  const filters = h('div', { class: 'toolbar', testid: 'rollout-filters', role: 'search', 'aria-label': 'Filter rollouts' });
  const listArea = h('div', {}, loading());
  const more = h('button', { type: 'button', testid: 'more-rollouts', hidden: true }, 'Show older rollouts');
  root.append(pageHeader('Rollouts', newLink),
    h('p', { class: 'muted' }, 'A rollout brings one release to one or more fleets in waves, within limits, and pauses by itself when too many agents fail. Every agent update goes through one: the server creates them from the fleet policies, or an administrator creates one here.'),
    filters, listArea, h('div', { class: 'pager' }, more));

  let fleets = [];
  try {
    fleets = (await getAll('/api/v1/fleets', 'fleets')).fleets || [];
  } catch (e) {
    if (e.status === 401) throw e;
    // the fleet filter falls back to a text box below; the list may still load
  }
  filters.replaceChildren(...filterControls(filter, fleets, (changed) => {
    ctx.navigate(`/rollouts${query(changed)}`);
  }));

  const { el, tbody } = table('rollouts-table', ['Rollout', 'State', 'Release', 'Fleets', 'Progress', 'Created', 'Origin']);
  let next = null;
  const load = async (cursor) => {
    let page;
    try {
      page = await api.get(`/api/v1/rollouts${query({ fleet: filter.fleet, state: filter.state, limit: PAGE, before: cursor })}`);
    } catch (e) {
      if (e.status === 401) throw e;
      loadFailed(listArea, 'the rollouts', e, () => ctx.navigate(window.location.pathname + window.location.search, { replace: true }));
      more.hidden = true;
      return;
    }
    if (!ctx.isCurrent()) return;
    const rows = page.rollouts || [];
    if (!cursor && rows.length === 0) {
      tbody.append(emptyRow(7, filter.fleet || filter.state ? 'No rollout matches these filters.' : 'No rollouts yet.'));
    }
    for (const r of rows) tbody.append(row(r));
    next = page.next || null;
    more.hidden = !next;
    if (!cursor) listArea.replaceChildren(el);
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await load(next);
    } finally {
      more.disabled = false;
    }
  });
  // live: a rollout on this page gets its new state and counts in place; a rollout not listed yet (a new one)
  // reloads the first page, unless the user is reading older pages
  let pagesLoaded = 1;
  more.addEventListener('click', () => { pagesLoaded += 1; });
  const reloadFirst = debounced(() => {
    if (pagesLoaded > 1 || !ctx.isCurrent()) return;
    tbody.replaceChildren();
    load(null);
  }, 1000);
  ctx.onLeave(reloadFirst.cancel);
  ctx.onLeave(onEvents(['rollout.progress', 'rollout.paused'], (event, type) => {
    const shown = type === 'resync' ? null : tbody.querySelector(`[data-testid="rollout-row-${CSS.escape(String(event.rollout_id))}"]`);
    if (!shown) {
      if (type === 'resync' || !filter.state || filter.state === event.state) reloadFirst();
      return;
    }
    if (event.state) {
      shown.dataset.state = event.state;
      shown.querySelector(`[data-testid="rollout-state-${event.rollout_id}"]`).replaceWith(stateBadge(event.state, `rollout-state-${event.rollout_id}`));
    }
    if (event.counts) {
      shown.querySelector(`[data-testid="rollout-progress-${event.rollout_id}"]`)
        .replaceWith(progressBar(event.counts, `rollout-progress-${event.rollout_id}`, event.state || shown.dataset.state));
    }
  }));
  await load(null);
}

function row(r) {
  return h('tr', { testid: `rollout-row-${r.id}`, 'data-state': r.state },
    h('td', {}, link(`/rollouts/${seg(r.id)}`, r.id, { testid: `rollout-link-${r.id}` })),
    h('td', {}, stateBadge(r.state, `rollout-state-${r.id}`)),
    h('td', { class: 'nowrap' }, `${r.component} `, h('strong', {}, r.version)),
    h('td', {}, h('div', { class: 'chips' }, (r.fleets || []).map((f) => link(`/fleets/${seg(f)}`, f, { class: 'chip' })))),
    h('td', {}, progressBar(r.counts, `rollout-progress-${r.id}`, r.state)),
    h('td', { class: 'nowrap' }, time(r.created_at), r.created_by ? h('div', { class: 'small muted' }, r.created_by) : null),
    h('td', {}, r.origin === 'policy' ? badge('policy', 'neutral', { title: 'Created by the server from the fleet policy' })
      : r.origin ? badge(r.origin, 'info') : h('span', { class: 'muted' }, '—')));
}

function filterControls(filter, fleets, apply) {
  let fleetInput;
  if (fleets.length) {
    const known = fleets.some((f) => f.id === filter.fleet);
    fleetInput = h('select', { id: 'rollout-filter-fleet', testid: 'rollout-filter-fleet' },
      h('option', { value: '' }, 'all fleets'),
      [...fleets].sort((a, b) => String(a.name).localeCompare(String(b.name))).map((f) => h('option', { value: f.id }, `${f.name} (${f.id})`)),
      filter.fleet && !known ? h('option', { value: filter.fleet }, filter.fleet) : null);
  } else {
    fleetInput = h('input', { id: 'rollout-filter-fleet', testid: 'rollout-filter-fleet', placeholder: 'fleet id', spellcheck: 'false' });
  }
  fleetInput.value = filter.fleet;
  const stateInput = h('select', { id: 'rollout-filter-state', testid: 'rollout-filter-state' },
    h('option', { value: '' }, 'any state'),
    STATES.map((s) => h('option', { value: s }, stateLabel(s))));
  stateInput.value = filter.state;
  const changed = () => apply({ fleet: fleetInput.value.trim(), state: stateInput.value });
  fleetInput.addEventListener('change', changed);
  stateInput.addEventListener('change', changed);
  return [h('label', { for: fleetInput.id }, 'Fleet'), fleetInput, h('label', { for: stateInput.id }, 'State'), stateInput];
}
