import { api, query } from '../api.js';
import { h, time } from '../dom.js';
import { emptyRow, loadFailed, loading, pageHeader, table } from '../ui.js';

const PAGE_SIZE = 50;

/**
 * The audit log, newest first, 50 entries a page. Older pages follow next_before; the ids that started the pages
 * seen so far are kept, so "Newer" goes back without the server having to page backwards.
 */
export async function render(root, ctx) {
  const params = new URLSearchParams(window.location.search);
  const state = {
    target: params.get('target') || '',
    starts: [null], // the `before` of every page visited; the last one is the page shown
  };

  const targetInput = h('input', { id: 'audit-target', type: 'search', placeholder: 'e.g. fleet:lab', value: state.target, spellcheck: 'false' });
  const filter = h('form', { class: 'toolbar', testid: 'audit-filter' },
    h('label', { for: targetInput.id }, 'Target'), targetInput,
    h('button', { type: 'submit' }, 'Filter'),
    h('button', { type: 'button', class: 'ghost', onclick: () => { targetInput.value = ''; apply(); } }, 'Clear'));
  const area = h('div', {}, loading());
  const newer = h('button', { type: 'button', testid: 'audit-newer' }, '← Newer');
  const older = h('button', { type: 'button', testid: 'audit-older' }, 'Older →');
  const pageLabel = h('span', { class: 'muted', testid: 'audit-page' });
  const pager = h('div', { class: 'pager' }, newer, pageLabel, older);
  // a plain download (GET with the session cookie): the server streams the whole log as JSON Lines, oldest first
  const exportLink = h('a', { href: '/api/v1/audit/export', class: 'button', download: '', testid: 'audit-export' },
    'Export (JSON Lines)');
  root.append(pageHeader('Audit log', exportLink),
    h('p', { class: 'muted' }, 'Every change made through the console or the API, newest first. Entries older than the'
      + ' retention period (365 days unless configured) are moved to export files on the server.'),
    filter, area, pager);

  let nextBefore = null;

  async function load() {
    area.replaceChildren(loading());
    newer.disabled = true;
    older.disabled = true;
    const before = state.starts[state.starts.length - 1];
    let page;
    try {
      page = await api.get(`/api/v1/audit${query({ limit: PAGE_SIZE, before, target: state.target })}`);
    } catch (e) {
      loadFailed(area, 'the audit log', e, load);
      return;
    }
    nextBefore = page.next_before === undefined ? null : page.next_before;
    area.replaceChildren(renderTable(page.entries || []));
    newer.disabled = state.starts.length <= 1;
    older.disabled = nextBefore === null;
    pageLabel.textContent = `Page ${state.starts.length}`;
  }

  function apply() {
    state.target = targetInput.value.trim();
    state.starts = [null];
    const url = `/audit${query({ target: state.target })}`;
    window.history.replaceState(null, '', url);
    load();
  }

  filter.addEventListener('submit', (event) => { event.preventDefault(); apply(); });
  older.addEventListener('click', () => { if (nextBefore !== null) { state.starts.push(nextBefore); load(); } });
  newer.addEventListener('click', () => { if (state.starts.length > 1) { state.starts.pop(); load(); } });
  await load();
}

function renderTable(entries) {
  const { el, tbody } = table('audit-table', ['When', 'Actor', 'Action', 'Target', 'Fleet', 'Changes']);
  if (entries.length === 0) tbody.append(emptyRow(6, 'No entries.'));
  for (const entry of entries) {
    const hasChanges = entry.before != null || entry.after != null;
    const detail = h('tr', { class: 'detail', testid: 'audit-detail', hidden: true },
      h('td', { colspan: 6 },
        h('div', { class: 'grid two' },
          json('Before', entry.before, 'audit-before'),
          json('After', entry.after, 'audit-after'))));
    const toggle = hasChanges
      ? h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', testid: 'audit-toggle' }, 'Show')
      : h('span', { class: 'muted' }, '—');
    if (hasChanges) {
      toggle.addEventListener('click', () => {
        detail.hidden = !detail.hidden;
        toggle.textContent = detail.hidden ? 'Show' : 'Hide';
        toggle.setAttribute('aria-expanded', String(!detail.hidden));
      });
    }
    tbody.append(
      h('tr', { testid: 'audit-row', 'data-id': entry.id, 'data-action': entry.action, 'data-target': entry.target },
        h('td', { class: 'nowrap' }, time(entry.at)),
        h('td', {}, entry.actor),
        h('td', {}, h('code', { testid: 'audit-action' }, entry.action)),
        h('td', { testid: 'audit-target' }, entry.target),
        h('td', {}, entry.fleet || h('span', { class: 'muted' }, '—')),
        h('td', {}, toggle)),
      detail);
  }
  return el;
}

function json(label, value, testid) {
  return h('div', {},
    h('h3', {}, label),
    value == null
      ? h('p', { class: 'muted' }, 'nothing')
      : h('pre', { class: 'json', testid }, JSON.stringify(value, null, 2)));
}
