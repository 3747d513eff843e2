import { api, getAll, query } from '../api.js';
import { badge, h, link, seg } from '../dom.js';
import { emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

/** The platforms installers are built for, with the format of their official agent artifact. */
export const PLATFORMS = [
  { id: 'linux-amd64', os: 'linux', arch: 'amd64', title: 'Linux (x86-64)', official: 'tar.gz' },
  { id: 'linux-arm64', os: 'linux', arch: 'arm64', title: 'Linux (ARM64)', official: 'tar.gz' },
  { id: 'windows-amd64', os: 'windows', arch: 'amd64', title: 'Windows (x86-64)', official: 'zip' },
  { id: 'darwin-arm64', os: 'darwin', arch: 'arm64', title: 'macOS (Apple silicon)', official: 'tar.gz' },
];

/** The installers page without a fleet: pick one. */
export async function renderIndex(root, ctx) {
  const area = h('div', {}, loading());
  root.append(pageHeader('Installers'),
    h('p', { class: 'muted' }, 'Each fleet has its own installers: the official agent with the fleet\'s server address, join token, policy and trust anchors inside. Pick a fleet.'),
    area);
  let list;
  try {
    list = await getAll('/api/v1/fleets', 'fleets');
  } catch (e) {
    loadFailed(area, 'the fleets', e, () => ctx.navigate('/installers', { replace: true }));
    return;
  }
  const { el, tbody } = table('installer-fleets-table', ['Fleet', 'ID', '']);
  const fleets = [...(list.fleets || [])].sort((a, b) => String(a.name).localeCompare(String(b.name)));
  if (fleets.length === 0) tbody.append(emptyRow(3, 'No fleets yet. Create a fleet first; its installers appear here.'));
  for (const f of fleets) {
    tbody.append(h('tr', { testid: `installer-fleet-${f.id}` },
      h('td', { class: 'strong' }, f.name),
      h('td', {}, h('code', {}, f.id)),
      h('td', { class: 'row-actions' }, link(`/fleets/${seg(f.id)}/installers`, 'Installers', { class: 'button small', testid: `open-installers-${f.id}` }))));
  }
  area.replaceChildren(el);
}

function newestVersion(artifacts) {
  // the API lists artifacts newest first; prefer stable as the server does
  const stable = artifacts.find((a) => a.channel === 'stable');
  return (stable || artifacts[0] || {}).version;
}

/**
 * The download controls of one platform: one per format that could apply (the official one, and every installed
 * format built from a format the release cache holds). Each is a link when the server can build it now, otherwise
 * a disabled button with the reason next to it.
 */
function formatChoices(platform, artifacts, formats) {
  const cached = new Set(artifacts.map((a) => a.format));
  const types = new Set([platform.official, ...cached]);
  for (const f of formats) {
    if (cached.has(f.input) || f.input === platform.official) types.add(f.type);
  }
  return [...types].sort().map((type) => {
    const plugin = formats.find((f) => f.type === type);
    const input = plugin ? plugin.input : type;
    const inputs = artifacts.filter((a) => a.format === input);
    let reason = null;
    if (inputs.length === 0) {
      reason = `No official agent artifact (${input}) for ${platform.id} is in the release cache yet.`;
    } else if (!plugin) {
      reason = `No installer format plugin for ${type} is installed.`;
    } else if (!plugin.available) {
      reason = plugin.reason || 'The format is unavailable.';
    }
    return { type, reason, version: newestVersion(inputs) };
  });
}

const JAVA = 'Prerequisite: none when the archive carries runtime/ (the official linux-amd64 one does); otherwise a '
  + 'Java 17+ runtime (JAVA_HOME, or java on the PATH).';
const JAVA_WINDOWS = 'Prerequisite: none when the archive carries runtime\\ (built with a Windows JDK); otherwise a Java '
  + '17+ runtime, found by the service as <install folder>\\runtime\\bin\\java.exe, else %JAVA_HOME%\\bin\\java.exe '
  + '(a system environment variable), else java.exe on the system PATH.';

/**
 * The install steps of one platform: the same text and commands as the administrator guide ("Downloading
 * installers"), with this fleet's file names. A browser test compares the two.
 */
export function installSteps(platform, fleetId, version) {
  const v = version || '<version>';
  const base = `printmaster-agent-${fleetId}-v${v}-${platform.id}`;
  if (platform.os === 'windows') {
    return [
      { text: JAVA_WINDOWS },
      { text: 'MSI: installs and starts the PrintMaster Agent Windows service (PrintMasterAgent):' },
      { code: `msiexec /i ${base}.msi /qn` },
      { text: 'ZIP: unpack, then start the agent in a console:' },
      { code: `Expand-Archive ${base}.zip -DestinationPath C:\\PrintMaster\ncd C:\\PrintMaster\\printmaster-agent-${v}\nbin\\pm-agent.cmd` },
    ];
  }
  const steps = [
    { text: JAVA },
    { text: 'Unpack and start it under its supervisor, which restarts the agent to apply updates:' },
    { code: `tar -xzf ${base}.tar.gz\ncd printmaster-agent-${v}\nbin/pm-agent --supervise` },
  ];
  if (platform.os === 'linux') {
    steps.push({ text: 'Or as a systemd service: copy the unit, adjust its paths, then enable it:' },
      { code: 'sudo cp service/printmaster-agent.service /etc/systemd/system/\nsudo systemctl daemon-reload && sudo systemctl enable --now printmaster-agent' });
  } else {
    steps.push({ text: 'Or as a launchd daemon: copy the property list, adjust its paths, then bootstrap it:' },
      { code: 'sudo cp service/io.printmaster.agent.plist /Library/LaunchDaemons/\nsudo launchctl bootstrap system /Library/LaunchDaemons/io.printmaster.agent.plist' });
  }
  return steps;
}

function instructions(platform, fleetId, version) {
  return h('div', { class: 'instructions', testid: `instructions-${platform.id}` },
    installSteps(platform, fleetId, version).map((step) => (step.code
      ? h('pre', { class: 'notes', 'data-step': 'code' }, step.code)
      : h('p', { 'data-step': 'text' }, step.text))),
    h('p', { class: 'muted' }, 'The agent enrolls into this fleet on its first start with the join token inside the installer.'));
}

/**
 * Downloads an installer through fetch instead of a plain link, so an error (422 when the artifact cannot be made
 * into this format, 503 when the configuration is invalid) shows the server's message instead of failing silently.
 * A success is handed to the browser as a file with the server's name.
 */
async function download(anchor, status) {
  status.replaceChildren(h('span', { class: 'muted' }, 'Building the installer…'));
  anchor.setAttribute('aria-disabled', 'true');
  try {
    const response = await fetch(anchor.href, { credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) {
      let message = `The server answered ${response.status}.`;
      try {
        const body = await response.json();
        if (body && body.error && body.error.message) message = `${body.error.message} (${body.error.code || response.status})`;
      } catch (e) {
        // not JSON: keep the status line
      }
      status.replaceChildren(notice('error', `The installer could not be downloaded: ${message}`, `${anchor.dataset.testid}-error`));
      return;
    }
    const disposition = response.headers.get('Content-Disposition') || '';
    const named = /filename="?([^";]+)"?/.exec(disposition);
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const save = h('a', { href: url, download: named ? named[1] : anchor.href.split('/').pop(), hidden: true });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    status.replaceChildren(h('span', { class: 'muted', testid: `${anchor.dataset.testid}-done` }, `Downloaded ${save.download}.`));
  } catch (e) {
    status.replaceChildren(notice('error', `The installer could not be downloaded: ${e.message}`, `${anchor.dataset.testid}-error`));
  } finally {
    anchor.removeAttribute('aria-disabled');
  }
}

/** One fleet's installers: a download per platform and format, with install instructions. */
export async function render(root, ctx, { fleetId }) {
  const area = h('div', {}, loading());
  root.append(area);
  let fleet;
  let formats;
  let artifacts;
  try {
    [fleet, formats, artifacts] = await Promise.all([
      api.get(`/api/v1/fleets/${seg(fleetId)}`),
      api.get('/api/v1/installers/formats').then((r) => r.formats || []),
      api.get(`/api/v1/releases/artifacts${query({ component: 'agent' })}`).then((r) => r.artifacts || []),
    ]);
  } catch (e) {
    if (e.status === 404 && !fleet) {
      area.replaceChildren(pageHeader('Fleet not found'),
        notice('error', `There is no fleet with the id ${fleetId}.`, 'load-error'),
        h('p', {}, link('/installers', 'Back to installers')));
    } else {
      loadFailed(area, 'the installers', e, () => ctx.navigate(`/fleets/${seg(fleetId)}/installers`, { replace: true }));
    }
    return;
  }
  const cards = PLATFORMS.map((platform) => {
    const mine = artifacts.filter((a) => a.platform === platform.os && a.arch === platform.arch && a.cached !== false);
    const choices = formatChoices(platform, mine, formats);
    const controls = choices.map((c) => {
      const label = `Download installer (.${c.type})`;
      const testid = `download-${platform.id}-${c.type}`;
      if (c.reason) {
        return h('div', { class: 'download disabled' },
          h('button', { type: 'button', disabled: true, testid, title: c.reason }, label),
          ' ', h('span', { class: 'muted', testid: `${testid}-reason` }, c.reason));
      }
      const status = h('div', { class: 'download-status', 'aria-live': 'polite' });
      const anchor = h('a', {
        class: 'button primary', testid, download: '',
        href: `/api/v1/installers/${seg(fleet.id)}/${seg(platform.id)}${query({ format: c.type })}`,
      }, label);
      anchor.addEventListener('click', (event) => {
        event.preventDefault();
        if (anchor.getAttribute('aria-disabled') !== 'true') download(anchor, status);
      });
      return h('div', { class: 'download' }, anchor, ' ', h('span', { class: 'muted' }, `agent ${c.version}`), status);
    });
    const version = (choices.find((c) => !c.reason) || choices[0] || {}).version;
    return h('section', { class: 'card', testid: `installer-${platform.id}` },
      h('h2', {}, platform.title, ' ', badge(platform.id, 'neutral')),
      controls,
      instructions(platform, fleet.id, version));
  });
  area.replaceChildren(
    h('p', { class: 'breadcrumbs' }, link('/fleets', 'Fleets'), ' / ', link(`/fleets/${seg(fleet.id)}`, fleet.id), ' / installers'),
    pageHeader(`Installers: ${fleet.name}`),
    h('p', { class: 'muted' }, 'Every installer carries this fleet\'s join token: treat the files as secrets. '
      + 'The first download of a version builds the installer; later ones come from the server\'s encrypted cache.'),
    ...cards);
}
