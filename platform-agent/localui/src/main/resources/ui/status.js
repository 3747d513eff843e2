// The agent's status page: reads /api/autoupdate/status every few seconds and fills the page.
// Values are written with textContent only, never as HTML: settings come from files anyone local can edit.

const REFRESH_MS = 3000;

const SOURCES = {
  fleet: 'Fleet policy from the server',
  local: 'Local policy (mode = local)',
  local_fallback: 'Local policy, until the server provides the fleet policy',
  disabled: 'None: automatic updates are off',
};

function text(id, value, cls) {
  const el = document.getElementById(id);
  el.textContent = value;
  el.className = cls || '';
}

function time(iso, whenNull) {
  if (!iso) return whenNull;
  const d = new Date(iso);
  return `${d.toLocaleString()} (${iso})`;
}

function lastResult(r) {
  if (!r) return 'No update has run yet';
  let s = `${r.status}${r.target_version ? ` → ${r.target_version}` : ''} at ${time(r.finished_at, '?')}`;
  if (r.error_code) s += ` — ${r.error_code}: ${r.error_message || ''}`;
  return s;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
// as io.printmaster.api.version.PinStrategy defines them
const PINS = {
  major: 'stay on the installed major line (1.4.2 follows 1.x)',
  minor: 'stay on the installed minor line, patches only (1.4.2 follows 1.4.x)',
  patch: 'stay on exactly the installed version until a target is set',
};

function two(n) {
  return String(n).padStart(2, '0');
}

function windowText(w) {
  if (!w.enabled) return 'none: updates may be applied at any time';
  const days = w.days_of_week.length === 7 ? 'every day' : w.days_of_week.map((d) => DAYS[d]).join(', ');
  return `${two(w.start_hour)}:${two(w.start_min)}–${two(w.end_hour)}:${two(w.end_min)} ${w.timezone}, ${days}`;
}

function renderPolicy(p) {
  document.getElementById('policy').hidden = !p;
  document.getElementById('policy-none').hidden = !!p;
  if (!p) return;
  text('policy_checks', p.update_check_days > 0
    ? `every ${p.update_check_days === 1 ? 'day' : `${p.update_check_days} days`}`
    : 'never (update_check_days = 0)', p.update_check_days > 0 ? '' : 'bad');
  text('policy_versions', `${p.version_pin_strategy}: ${PINS[p.version_pin_strategy] || ''}`
    + (p.allow_major_upgrade ? '; major upgrades allowed' : ''));
  text('policy_target', p.target_version || 'none');
  text('policy_window', windowText(p.maintenance_window));
  text('policy_telemetry', p.collect_telemetry ? 'reported to the server' : 'off');
}

function render(s) {
  const noWorker = !s.worker_installed;
  text('agent_id', s.agent_id || 'none (see configuration errors)', s.agent_id ? '' : 'bad');
  text('current_version', s.current_version || 'unknown');
  text('server_url', s.server_url || 'not configured', s.server_url ? '' : 'muted');
  text('fleet', s.fleet || 'not configured', s.fleet ? '' : 'muted');
  text('join_token_set', s.join_token_set ? 'set' : 'not set', s.join_token_set ? '' : 'muted');
  // "enabled" is what settings and policy allow; without a worker nothing acts on it, so say so
  text('enabled', s.enabled ? (noWorker ? 'allowed by the policy, but no update worker is installed' : 'on') : 'off',
    s.enabled && !noWorker ? 'ok' : (s.enabled ? 'muted' : 'bad'));
  text('mode', s.mode);
  text('policy_source', SOURCES[s.policy_source] || s.policy_source);
  text('status', noWorker ? 'not installed: this agent cannot update itself yet' : s.status, noWorker ? 'muted' : '');
  text('latest_version', s.latest_version || 'unknown (no check yet)', s.latest_version ? '' : 'muted');
  text('last_check_at', time(s.last_check_at, 'never'));
  text('next_check_at', time(s.next_check_at, noWorker ? 'none scheduled (no update worker)' : 'none scheduled'));
  text('last_result', lastResult(s.last_result));
  text('override', s.allow_local_override
    ? 'Local overrides are enabled (allow_local_override = true). Changing settings from this page is not '
      + 'available yet; edit the files named below.'
    : 'Read-only: local overrides are off (allow_local_override = false). Settings come from the files named below.');

  renderPolicy(s.policy);

  const errors = s.config_errors || [];
  const list = document.getElementById('error-list');
  list.replaceChildren(...errors.map((e) => {
    const li = document.createElement('li');
    const field = document.createElement('code');
    field.textContent = e.field;
    li.append(field, `: ${e.message}`);
    return li;
  }));
  document.getElementById('errors').hidden = errors.length === 0;

  const state = s.configured ? '' : ' This agent is not configured: set server_url and join_token.';
  text('connection', `Updated ${new Date().toLocaleTimeString()}.${state}`, s.configured ? 'muted' : 'bad');
}

async function refresh() {
  try {
    const resp = await fetch('/api/autoupdate/status', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.error ? body.error.message : `HTTP ${resp.status}`);
    render(body);
  } catch (e) {
    text('connection', `Cannot read the agent's status: ${e.message}`, 'bad');
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
