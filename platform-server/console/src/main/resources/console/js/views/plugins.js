import { api } from '../api.js';
import { badge, h } from '../dom.js';
import { emptyRow, loadFailed, loading, pageHeader, table } from '../ui.js';

const TYPES = [
  { type: 'release_source', title: 'Release sources', about: 'Where the server finds new releases.' },
  { type: 'installer_format', title: 'Installer formats', about: 'How installers are repackaged per fleet.' },
  { type: 'signing_provider', title: 'Signing providers', about: 'Who signs release manifests.' },
  { type: 'service_manager', title: 'Service managers', about: 'How installed services are stopped, started and checked.' },
  { type: 'unknown', title: 'Other bundles in plugins/', about: 'Bundles dropped into the plugins folder that provide no known plugin (yet): check their state.' },
];

export async function render(root, ctx) {
  const area = h('div', {}, loading());
  root.append(pageHeader('Plugins'),
    h('p', { class: 'muted' }, 'Plugins are OSGi services; the one with the highest ranking wins. Drop a bundle into the server\'s plugins/ folder to add one.'),
    area);
  let list;
  try {
    list = await api.get('/api/v1/plugins');
  } catch (e) {
    loadFailed(area, 'the plugins', e, () => ctx.navigate('/plugins', { replace: true }));
    return;
  }
  const plugins = list.plugins || [];
  const known = new Set(TYPES.map((t) => t.type));
  const groups = TYPES.map((t) => ({
    ...t,
    items: plugins.filter((p) => (known.has(p.type) ? p.type : 'unknown') === t.type),
  }));
  const content = [h('p', { testid: 'plugins-count' }, `${plugins.length} plugin${plugins.length === 1 ? '' : 's'} installed.`)];
  for (const group of groups) {
    if (group.type === 'unknown' && group.items.length === 0) continue;
    const { el, tbody } = table(`plugins-table-${group.type}`, ['Name', 'Bundle', 'Version', 'State', 'Ranking', 'Origin']);
    el.classList.add('plugins-table');
    if (group.items.length === 0) tbody.append(emptyRow(6, 'None installed.'));
    for (const p of group.items) {
      tbody.append(h('tr', { testid: 'plugin-row', 'data-type': p.type },
        h('td', { class: 'strong' }, p.name),
        h('td', {}, h('code', {}, p.bundle)),
        h('td', {}, p.bundle_version),
        h('td', {}, badge(p.state, p.state === 'ACTIVE' ? 'ok' : 'warn')),
        h('td', { class: 'num' }, String(p.ranking)),
        h('td', {}, p.from_plugins_folder ? badge('plugins folder', 'info') : 'built in')));
    }
    content.push(h('section', { class: 'plugin-group', testid: `plugins-${group.type}` },
      h('h2', {}, group.title, ' ', h('span', { class: 'count' }, String(group.items.length))),
      h('p', { class: 'muted' }, group.about),
      el));
  }
  area.replaceChildren(...content);
}
