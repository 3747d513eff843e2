import { api, query } from '../api.js';
import { fill, h, link, seg } from '../dom.js';
import { bars, ChartCards, loadChartJs, PALETTE, reconcile, stacked, STATUS_COLOURS } from '../charts.js';
import { fleetSelect, visibleFleets } from '../fleet-choice.js';
import { debounced, onEvents } from '../live.js';
import { progressBar, stateBadge } from '../rollout-ui.js';
import { loadFailed, loading, notice, pageHeader } from '../ui.js';

const DAY_CHOICES = [7, 30, 90];

/**
 * The fleet dashboard (the console's landing page, for all fleets or one): agents by version, status and check-in
 * recency, the health flags, current against target version per fleet, active rollouts with their progress, and per
 * release its success rate, download times, failures and rollbacks with the top error codes, over time. Every chart
 * has a table view. It reloads by itself (once per burst) when the live stream reports a change.
 */
export async function render(root, ctx) {
  const params = new URLSearchParams(window.location.search);
  const filter = { fleet: params.get('fleet') || '', days: Number(params.get('days')) || 30 };
  const title = filter.fleet ? `Dashboard: ${filter.fleet}` : 'Dashboard';
  const toolbar = h('form', { class: 'toolbar', testid: 'dashboard-filters', role: 'search', 'aria-label': 'Dashboard scope' });
  const area = h('div', { testid: 'dashboard' }, loading());
  const updated = h('p', { class: 'small muted', testid: 'dashboard-updated', 'aria-live': 'off' });
  root.append(pageHeader(title), toolbar, updated, area);

  const fleets = await visibleFleets();
  if (!ctx.isCurrent()) return;
  fill(toolbar, ...scopeControls(filter, fleets, (changed) => ctx.navigate(`/dashboard${query(changed)}`)));

  let Chart = null;
  let chartError = null;
  try {
    Chart = await loadChartJs();
  } catch (e) {
    chartError = e;
  }
  // the page's parts live across refreshes: only what changed is rebuilt (see ChartCards, reconcile)
  const cards = new ChartCards(Chart);
  ctx.onLeave(() => cards.destroy());
  const layout = {
    warning: chartError ? notice('warn', `The charts could not be drawn (${chartError.message}); the tables show the numbers.`, 'charts-unavailable') : null,
    agents: h('div', { class: 'chart-grid' }),
    releasesTitle: h('h2', { class: 'section-title' }, 'Releases'),
    releases: h('div', { class: 'chart-grid wide' }),
  };

  const load = async () => {
    let data;
    try {
      data = await api.get(`/api/v1/dashboard${query({ fleet: filter.fleet, days: filter.days })}`);
    } catch (e) {
      if (e.status === 401 || !ctx.isCurrent()) return;
      cards.destroy();
      if (e.status === 404) {
        fill(area, notice('info', 'This server has no dashboard yet: the dashboard service is not installed.', 'dashboard-unavailable'));
        return;
      }
      loadFailed(area, 'the dashboard', e, load);
      return;
    }
    if (!ctx.isCurrent()) return;
    cards.begin();
    const parts = sections(data, filter, cards);
    cards.end();
    reconcile(layout.agents, parts.agentCards);
    reconcile(layout.releases, parts.releaseCards);
    reconcile(area, [layout.warning, parts.tiles, layout.agents, parts.fleets, parts.rollouts, layout.releasesTitle,
      parts.releaseCards.length ? layout.releases : parts.noReleases]);
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}; the page follows the server's events live.`;
  };
  const reload = debounced(load, 1500);
  ctx.onLeave(reload.cancel);
  ctx.onLeave(onEvents(['agent.status', 'agent.outcome', 'rollout.progress', 'rollout.paused', 'release.failed',
    'release.cached'], (event) => {
    if (!filter.fleet || !event.fleet || event.fleet === filter.fleet) reload();
  }));
  await load();
}

function scopeControls(filter, fleets, apply) {
  const fleet = fleetSelect({ id: 'dashboard-fleet', testid: 'dashboard-fleet', fleets, current: filter.fleet });
  const daysSelect = h('select', { id: 'dashboard-days', testid: 'dashboard-days' },
    DAY_CHOICES.map((d) => h('option', { value: d }, `last ${d} days`)));
  daysSelect.value = String(DAY_CHOICES.includes(filter.days) ? filter.days : 30);
  const changed = () => apply({ fleet: fleet.value, days: Number(daysSelect.value) === 30 ? '' : daysSelect.value });
  fleet.addEventListener('change', changed);
  daysSelect.addEventListener('change', changed);
  return [h('label', { for: fleet.id }, 'Fleet'), fleet, h('label', { for: daysSelect.id }, 'Releases over'), daysSelect];
}

function num(v) {
  return Number(v || 0);
}

/** A success rate as the API gives it (a fraction 0..1) in percent, one decimal; a dash without runs. */
export function percent(rate) {
  if (rate === null || rate === undefined) return '—';
  const value = Number(rate) <= 1 ? Number(rate) * 100 : Number(rate);
  return `${value.toFixed(1)} %`;
}

function millis(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function agentsLink(filter, extra, text, testid) {
  return link(`/agents${query({ fleet: filter.fleet, ...extra })}`, text, { testid });
}

function tiles(data, filter) {
  const a = data.agents || {};
  const tile = (label, value, extra, testid, kind) => h('div', { class: `tile ${kind || ''}`.trim(), testid },
    h('div', { class: 'tile-value', testid: `${testid}-value` }, String(num(value))),
    h('div', { class: 'tile-label' }, extra ? agentsLink(filter, extra, label, `${testid}-link`) : label));
  return h('section', { class: 'tiles', testid: 'dashboard-tiles', 'aria-label': 'Agent counts' },
    tile('agents', a.total, {}, 'tile-total'),
    tile('not seen for twice their interval (stale)', a.stale, { flag: 'stale' }, 'tile-stale', num(a.stale) ? 'warn' : ''),
    tile('low on disk space', a.low_disk, { flag: 'low_disk' }, 'tile-low-disk', num(a.low_disk) ? 'warn' : ''),
    tile('last run failed', a.failed, { flag: 'failed' }, 'tile-failed', num(a.failed) ? 'bad' : ''));
}

/** The page's parts for one answer, each through `cards` so that unchanged ones are kept. */
function sections(data, filter, cards) {
  const a = data.agents || {};
  const card = (spec) => cards.card(spec);
  const byVersion = (a.by_version || []).map((v) => [v.version || 'unknown', num(v.count)]);
  const byStatus = (a.by_status || []).map((s) => [s.status || 'none yet', num(s.count)]);
  const checked = a.checked_in || {};
  const recency = [['within a day', num(checked.day)], ['within a week', num(checked.week)], ['never', num(checked.never)]];
  const releases = data.releases || [];
  const rollouts = data.rollouts || [];
  return {
    tiles: cards.part('tiles', [a.total, a.stale, a.low_disk, a.failed], () => tiles(data, filter)),
    agentCards: [
      card({
        title: 'Agents by version', testid: 'chart-versions', columns: ['Version', 'Agents'], rows: byVersion,
        empty: 'No agents yet.', chart: () => bars(byVersion.map((r) => r[0]), byVersion.map((r) => r[1]), 'Agents'),
      }),
      card({
        title: 'Agents by status', testid: 'chart-status', columns: ['Status', 'Agents'], rows: byStatus,
        empty: 'No agents yet.',
        chart: () => ({
          type: 'doughnut',
          data: {
            labels: byStatus.map((r) => r[0]),
            datasets: [{ data: byStatus.map((r) => r[1]), backgroundColor: byStatus.map((r, i) => STATUS_COLOURS[r[0]] || PALETTE[i % PALETTE.length]) }],
          },
          options: { plugins: { legend: { position: 'right' } } },
        }),
      }),
      card({
        title: 'Last check-in', testid: 'chart-checkins', columns: ['Checked in', 'Agents'], rows: recency,
        chart: () => bars(recency.map((r) => r[0]), recency.map((r) => r[1]), 'Agents', [PALETTE[1], PALETTE[0], PALETTE[8]]),
      }),
    ],
    fleets: fleetsCard(data.fleets || [], card),
    rollouts: cards.part('rollouts', rollouts, () => rolloutsCard(rollouts)),
    releaseCards: releases.length ? releasesCards(releases, card) : [],
    noReleases: cards.part('no-releases', [], () => h('p', { class: 'muted', testid: 'dashboard-no-releases' }, 'No update runs in this period.')),
  };
}

function fleetsCard(fleets, card) {
  if (!fleets.length) return null;
  const versions = [...new Set(fleets.flatMap((f) => (f.current || []).map((c) => c.version || 'unknown')))].sort();
  const rows = fleets.map((f) => [f.id, f.target_version || '—',
    (f.current || []).map((c) => `${c.version || 'unknown'}: ${num(c.count)}`).join(', ') || '—',
    String((f.current || []).filter((c) => f.target_version && c.version === f.target_version).reduce((s, c) => s + num(c.count), 0)),
    String((f.current || []).reduce((s, c) => s + num(c.count), 0))]);
  return card({
    title: 'Current and target version per fleet', testid: 'chart-fleets',
    columns: ['Fleet', 'Target version', 'Agents per current version', 'On target', 'Agents'], rows,
    chart: () => stacked(fleets.map((f) => (f.target_version ? `${f.id} (target ${f.target_version})` : f.id)),
      versions.map((v) => ({
        label: v,
        values: fleets.map((f) => (f.current || []).filter((c) => (c.version || 'unknown') === v).reduce((s, c) => s + num(c.count), 0)),
      }))),
  });
}

function rolloutsCard(rollouts) {
  const list = h('ul', { class: 'rollout-list', testid: 'dashboard-rollouts' },
    rollouts.map((r) => h('li', { testid: `dashboard-rollout-${r.id}`, 'data-state': r.state },
      h('div', { class: 'rollout-line' },
        link(`/rollouts/${seg(r.id)}`, r.component && r.version ? `${r.component} ${r.version}` : r.id, { class: 'strong' }),
        ' ', stateBadge(r.state, `dashboard-rollout-state-${r.id}`),
        r.fleets && r.fleets.length ? h('span', { class: 'muted small' }, ` ${r.fleets.join(', ')}`) : null),
      progressBar(r.counts, `dashboard-rollout-progress-${r.id}`, r.state))));
  return h('section', { class: 'card', testid: 'card-rollouts' },
    h('h2', {}, 'Active rollouts'),
    rollouts.length ? list : h('p', { class: 'muted', testid: 'dashboard-no-rollouts' }, 'No rollout is active.'));
}

function releaseLabel(r) {
  return `${r.component} ${r.version}`;
}

function releasesCards(releases, card) {
  const labels = releases.map(releaseLabel);
  const outcomes = card({
    title: 'Update outcomes per release', testid: 'chart-releases',
    columns: ['Release', 'Success rate', 'Succeeded', 'Failed', 'Rolled back', 'Top error codes'],
    rows: releases.map((r) => [releaseLabel(r), percent(r.success_rate), String(num(r.succeeded)), String(num(r.failed)),
      String(num(r.rolled_back)), (r.top_errors || []).map((e) => `${e.error_code} (${num(e.count)})`).join(', ') || '—']),
    chart: () => stacked(labels, [
      { label: 'succeeded', values: releases.map((r) => num(r.succeeded)), colour: STATUS_COLOURS.succeeded },
      { label: 'failed', values: releases.map((r) => num(r.failed)), colour: STATUS_COLOURS.failed },
      { label: 'rolled back', values: releases.map((r) => num(r.rolled_back)), colour: STATUS_COLOURS.rolled_back },
    ]),
  });
  const downloads = card({
    title: 'Download time per release', testid: 'chart-downloads', columns: ['Release', 'Median (p50)', '95th percentile (p95)'],
    rows: releases.map((r) => [releaseLabel(r), millis(r.download_ms_p50), millis(r.download_ms_p95)]),
    chart: () => ({
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: 'p50 (ms)', data: releases.map((r) => r.download_ms_p50), backgroundColor: PALETTE[0] },
          { label: 'p95 (ms)', data: releases.map((r) => r.download_ms_p95), backgroundColor: PALETTE[5] },
        ],
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } } },
    }),
  });
  const errors = releases.flatMap((r) => (r.top_errors || []).map((e) => [releaseLabel(r), e.error_code, num(e.count)]));
  const errorCard = card({
    title: 'Top error codes', testid: 'chart-errors', columns: ['Release', 'Error code', 'Runs'],
    rows: errors.map((e) => [e[0], e[1], String(e[2])]), empty: 'No failures in this period.',
    chart: () => bars(errors.map((e) => `${e[1]} (${e[0]})`), errors.map((e) => e[2]), 'Runs', STATUS_COLOURS.failed),
  });
  const days = [...new Set(releases.flatMap((r) => (r.by_day || []).map((d) => d.day)))].sort();
  const overTime = days.length ? card({
    title: 'Outcomes over time', testid: 'chart-over-time',
    columns: ['Day', 'Succeeded', 'Failed', 'Rolled back'],
    rows: days.map((d) => {
      const of = (k) => releases.reduce((s, r) => s + (r.by_day || []).filter((x) => x.day === d).reduce((t, x) => t + num(x[k]), 0), 0);
      return [d, String(of('succeeded')), String(of('failed')), String(of('rolled_back'))];
    }),
    chart: () => ({
      type: 'line',
      data: {
        labels: days,
        datasets: [
          ...releases.map((r, i) => ({
            label: `${releaseLabel(r)} succeeded`,
            data: days.map((d) => (r.by_day || []).filter((x) => x.day === d).reduce((t, x) => t + num(x.succeeded), 0)),
            borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length],
          })),
          ...releases.map((r, i) => ({
            label: `${releaseLabel(r)} failed or rolled back`,
            data: days.map((d) => (r.by_day || []).filter((x) => x.day === d).reduce((t, x) => t + num(x.failed) + num(x.rolled_back), 0)),
            borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], borderDash: [6, 4],
          })),
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
  }) : null;
  return [outcomes, downloads, errorCard, overTime];
}
