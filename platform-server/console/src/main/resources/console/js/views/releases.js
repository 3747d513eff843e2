import { api, query } from '../api.js';
import { badge, h, link, time } from '../dom.js';
import { debounced, onEvents } from '../live.js';
import { emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

/**
 * Releases: the cached artifacts per component, channel and platform, with their release notes (shown as text,
 * never as markup); the last syncs and what they refused; and a sync button whose progress streams live from the
 * server (server-sent events; EventSource sends the session cookie, same origin).
 */
export async function render(root, ctx) {
  const syncButton = h('button', { type: 'button', class: 'primary', testid: 'sync-now' }, 'Sync now');
  const progress = h('section', { class: 'card sync-progress', testid: 'sync-progress', hidden: true });
  const statusArea = h('div', { testid: 'sync-status' }, loading());
  const filters = h('div', { class: 'toolbar', testid: 'release-filters' });
  const listArea = h('div', {}, loading());
  root.append(
    pageHeader('Releases', link('/release-sources', 'Release sources', { class: 'button' }), syncButton),
    h('p', { class: 'muted' }, 'Artifacts are downloaded from the release sources, verified against the checksum their upstream publishes, cached and signed. Anything that does not match is refused and listed below with the reason.'),
    progress, statusArea, filters, listArea);

  const state = { artifacts: [], component: '', channel: '', platform: '' };

  const renderList = () => listArea.replaceChildren(artifactTables(state));
  const reload = async () => {
    let answer;
    try {
      answer = await api.get('/api/v1/releases/artifacts');
    } catch (e) {
      loadFailed(listArea, 'the artifacts', e, reload);
      return;
    }
    state.artifacts = answer.artifacts || [];
    filters.replaceChildren(...filterControls(state, renderList));
    renderList();
  };
  const reloadStatus = async () => {
    try {
      statusArea.replaceChildren(statusView(await api.get('/api/v1/releases/sync/status')));
    } catch (e) {
      if (e.status === 401) throw e;
      statusArea.replaceChildren(notice('error', `Could not load the sync status: ${e.message}`, 'status-error'));
    }
  };

  syncButton.addEventListener('click', async () => {
    syncButton.disabled = true;
    try {
      const started = await api.post('/api/v1/releases/sync', {});
      follow(started, progress, ctx, async () => {
        syncButton.disabled = false;
        await Promise.all([reload(), reloadStatus()]);
      });
    } catch (e) {
      syncButton.disabled = false;
      progress.hidden = false;
      progress.replaceChildren(notice('error', `Could not start a sync: ${e.message}`, 'sync-error'));
    }
  });

  await Promise.all([reloadStatus(), reload()]);
  // live: any sync (scheduled ones too) and every newly cached release refresh the status and the list
  const refreshSoon = debounced(() => {
    if (ctx.isCurrent()) Promise.all([reloadStatus(), reload()]).catch(() => {});
  }, 1500);
  ctx.onLeave(refreshSoon.cancel);
  ctx.onLeave(onEvents(['sync.progress', 'release.cached'], () => refreshSoon()));
  // a sync already running (scheduled, or a new source): show its progress too
  try {
    const status = await api.get('/api/v1/releases/sync/status');
    if (status.running && ctx.isCurrent()) {
      syncButton.disabled = true;
      follow({ sync_id: status.running.id, already_running: true }, progress, ctx, async () => {
        syncButton.disabled = false;
        await Promise.all([reload(), reloadStatus()]);
      });
    }
  } catch (e) {
    // the status area already says what went wrong
  }
}

/** Follows a sync's event stream into the progress card; calls done() when it finished. */
function follow(started, card, ctx, done) {
  const lines = h('ol', { class: 'sync-log', testid: 'sync-log' });
  const current = h('p', { class: 'muted', testid: 'sync-current' }, started.already_running ? 'Following the sync that is running…' : 'Starting…');
  const title = h('h2', {}, `Sync ${started.sync_id}`);
  card.hidden = false;
  card.replaceChildren(title, current, lines);
  const source = new EventSource(`/api/v1/releases/sync/${encodeURIComponent(started.sync_id)}/events`);
  // a page kept in the back/forward cache must not keep the stream (and one of the browser's connections) open
  window.addEventListener('pagehide', () => source.close(), { once: true });
  const data = (event) => {
    try {
      return JSON.parse(event.data);
    } catch (e) {
      return {};
    }
  };
  const line = (kind, text, testid) => lines.append(h('li', { class: `sync-line ${kind}`, testid }, text));
  const stillShown = () => {
    if (ctx.isCurrent()) return true;
    source.close(); // the user left the page
    return false;
  };
  source.addEventListener('started', (e) => {
    if (!stillShown()) return;
    const d = data(e);
    current.textContent = d.sources && d.sources.length
      ? `Checking ${d.sources.length} source${d.sources.length === 1 ? '' : 's'}: ${d.sources.join(', ')}`
      : 'No release source is configured.';
  });
  source.addEventListener('asset_started', (e) => {
    if (!stillShown()) return;
    const d = data(e);
    current.textContent = `Downloading ${d.asset} from ${d.source}…`;
  });
  source.addEventListener('progress', (e) => {
    if (!stillShown()) return;
    const d = data(e);
    const total = d.total_bytes ? ` of ${formatBytes(d.total_bytes)}` : '';
    const pct = d.total_bytes ? ` (${Math.floor((100 * d.bytes) / d.total_bytes)} %)` : '';
    current.textContent = `Downloading ${d.asset}: ${formatBytes(d.bytes)}${total}${pct}`;
  });
  source.addEventListener('asset_cached', (e) => {
    if (!stillShown()) return;
    const d = data(e);
    line('ok', `Cached ${d.asset} (${formatBytes(d.size_bytes)}, sha256 ${String(d.sha256).slice(0, 12)}…)`, 'sync-cached');
  });
  source.addEventListener('asset_rejected', (e) => {
    if (!stillShown()) return;
    const d = data(e);
    line('bad', `Refused ${d.asset}: ${d.reason} — ${d.message}`, 'sync-rejected');
  });
  source.addEventListener('skipped', (e) => {
    if (!stillShown()) return;
    const d = data(e);
    line('skip', `Skipped ${d.asset || d.release} (${d.source}): ${d.reason} — ${d.message}`, 'sync-skipped');
  });
  source.addEventListener('source_failed', (e) => {
    if (!stillShown()) return;
    const d = data(e);
    line('bad', `Source ${d.source} failed: ${d.message}`, 'sync-source-failed');
  });
  source.addEventListener('finished', (e) => {
    source.close(); // otherwise EventSource reconnects when the stream ends
    if (!ctx.isCurrent()) return;
    const d = data(e);
    current.textContent = d.state === 'finished'
      ? `Finished: ${d.cached_count} cached, ${d.rejected_count} refused, ${d.skipped_count} skipped${skipReasons(d.skipped_reasons)}, ${d.pruned_count} removed by retention.`
      : `The sync failed: ${d.message || d.state}`;
    current.className = d.state === 'finished' ? 'strong' : 'alert error';
    current.dataset.state = d.state;
    done();
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED && ctx.isCurrent()) {
      current.textContent = 'Lost the connection to the server; reload the page to see the outcome.';
      done();
    }
  };
}

/** " (reason: n, …)" for a sync's skipped_reasons, or nothing when it has none. */
function skipReasons(reasons) {
  const entries = Object.entries(reasons || {});
  return entries.length ? ` (${entries.map(([reason, n]) => `${reason}: ${n}`).join(', ')})` : '';
}

function statusView(status) {
  const parts = [];
  const last = status.last;
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, 'Sources'),
    h('dd', {}, status.sources && status.sources.length
      ? status.sources.map((s) => `${s.name} (${s.type})`).join(', ')
      : h('span', { class: 'muted' }, 'none active — add one under Release sources')),
    h('dt', {}, 'Last sync'),
    h('dd', { testid: 'last-sync' }, last
      ? [time(last.finished_at || last.started_at), ' ', badge(last.state, last.state === 'finished' ? 'ok' : last.state === 'running' ? 'info' : 'bad'),
        ` ${last.cached_count} cached, ${last.rejected_count} refused`,
        last.skipped_count ? `, ${last.skipped_count} skipped${skipReasons(last.skipped_reasons)}` : '',
        last.message ? ` — ${last.message}` : '']
      : h('span', { class: 'muted' }, 'never')));
  parts.push(facts);
  const rejections = status.recent_rejections || [];
  const failures = status.recent_source_failures || [];
  if (rejections.length || failures.length) {
    const { el, tbody } = table('rejections-table', ['When', 'Source', 'Asset', 'Reason', 'Details']);
    for (const r of [...failures, ...rejections].sort((a, b) => String(b.occurred_at).localeCompare(String(a.occurred_at))).slice(0, 20)) {
      tbody.append(h('tr', { testid: 'rejection-row' },
        h('td', { class: 'nowrap' }, time(r.occurred_at)),
        h('td', {}, r.source_name || '—'),
        h('td', {}, r.asset_name ? h('code', {}, r.asset_name) : h('span', { class: 'muted' }, 'listing')),
        h('td', {}, badge(r.reason || r.outcome, 'bad', { testid: 'rejection-reason' })),
        h('td', { class: 'wrap small' }, r.message || '')));
    }
    parts.push(h('details', { class: 'rejections', open: true },
      h('summary', {}, `Refused recently (${rejections.length + failures.length})`), el));
  }
  // what sources passed over on purpose (tags that are no version, drafts, excluded pre-releases, other files):
  // collapsed, as it is expected, but never silent
  const skips = status.recent_skips || [];
  if (skips.length) {
    const { el, tbody } = table('skips-table', ['When', 'Source', 'Release or asset', 'Reason', 'Details']);
    for (const r of skips.slice(0, 20)) {
      tbody.append(h('tr', { testid: 'skip-row' },
        h('td', { class: 'nowrap' }, time(r.occurred_at)),
        h('td', {}, r.source_name || '—'),
        h('td', {}, h('code', {}, r.asset_name || r.version || '—')),
        h('td', {}, badge(r.reason || r.outcome, 'info', { testid: 'skip-reason' })),
        h('td', { class: 'wrap small' }, r.message || '')));
    }
    parts.push(h('details', { class: 'skips', testid: 'skips' },
      h('summary', {}, `Skipped recently (${skips.length})`), el));
  }
  return h('section', { class: 'card' }, h('h2', {}, 'Intake'), parts);
}

function filterControls(state, onChange) {
  const values = (key) => [...new Set(state.artifacts.map((a) => a[key]))].sort();
  const select = (key, label, all) => {
    const el = h('select', { id: `filter-${key}`, testid: `filter-${key}` },
      h('option', { value: '' }, all),
      values(key).map((v) => h('option', { value: v }, v)));
    el.value = state[key];
    el.addEventListener('change', () => {
      state[key] = el.value;
      onChange();
    });
    return h('label', { for: el.id }, label, ' ', el);
  };
  return [select('component', 'Component', 'all'), select('channel', 'Channel', 'all'), select('platform', 'Platform', 'all')];
}

/** One table per component and channel, rows grouped by version (newest first), one row per platform and format. */
function artifactTables(state) {
  const shown = state.artifacts.filter((a) => (!state.component || a.component === state.component)
    && (!state.channel || a.channel === state.channel)
    && (!state.platform || a.platform === state.platform));
  if (state.artifacts.length === 0) {
    return h('section', { class: 'card', testid: 'no-artifacts' },
      h('p', {}, 'No artifacts are cached yet. Add a release source, then sync.'));
  }
  const groups = new Map();
  for (const a of shown) {
    const key = `${a.component} · ${a.channel}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(a);
  }
  const sections = [];
  for (const [key, artifacts] of groups) {
    const { el, tbody } = table(`artifacts-${key.replace(/[^a-z0-9]+/gi, '-')}`, ['Version', 'Platform', 'Format', 'Size', 'SHA-256', 'Cache', 'Published', 'Source']);
    let lastVersion = null;
    for (const a of artifacts) {
      if (a.version !== lastVersion) {
        lastVersion = a.version;
        if (a.release_notes) {
          tbody.append(h('tr', { class: 'detail', testid: 'release-notes-row' },
            h('td', { colspan: 8 },
              h('details', {},
                h('summary', {}, `Release notes ${a.version}`),
                // text only: notes come from the upstream and are never interpreted as markup
                h('pre', { class: 'notes', testid: `release-notes-${a.component}-${a.version}` }, a.release_notes)))));
        }
      }
      tbody.append(h('tr', { testid: 'artifact-row', 'data-asset': a.asset_name },
        h('td', { class: 'strong nowrap' }, a.version),
        h('td', { class: 'nowrap' }, a.platform === 'any' ? 'any' : `${a.platform}-${a.arch}`),
        h('td', {}, h('code', {}, a.format)),
        h('td', { class: 'num nowrap' }, formatBytes(a.size_bytes)),
        h('td', {}, h('code', { title: a.sha256 }, `${String(a.sha256).slice(0, 12)}…`)),
        h('td', {}, a.cached ? badge('cached', 'ok', { testid: 'cache-state' }) : badge('file missing', 'bad', { testid: 'cache-state' })),
        h('td', { class: 'nowrap' }, time(a.published_at)),
        h('td', { class: 'small' }, a.source)));
    }
    sections.push(h('section', { class: 'plugin-group', testid: 'artifact-group' }, h('h2', {}, key), el));
  }
  if (sections.length === 0) {
    const { el, tbody } = table('artifacts-empty', ['Version']);
    tbody.append(emptyRow(1, 'No artifact matches these filters.'));
    sections.push(el);
  }
  return h('div', {}, sections);
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
