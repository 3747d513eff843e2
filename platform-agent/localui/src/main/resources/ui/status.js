// The agent's status page: reads /api/autoupdate/status every few seconds and fills the page.
// Values are written with textContent only, never as HTML: settings come from files anyone local can edit.

import { refreshLocalPolicy, startLocalPolicy } from './local-policy.js';

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
  if (r.status === 'up_to_date') return `up to date: nothing to install (checked ${time(r.finished_at, '?')})`;
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

function render(s, enrollment) {
  const noWorker = !s.worker_installed;
  text('agent_id', s.agent_id || 'not enrolled (see Enrollment)', s.agent_id ? '' : 'muted');
  text('local_id', s.local_id || 'none (see configuration errors)', s.local_id ? '' : 'bad');
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

  // an installer's etc/fleet.json configures the agent as well as server_url and join_token do
  const configured = s.configured || (enrollment && !['not_configured', 'unavailable'].includes(enrollment.state));
  const state = configured ? '' : ' This agent is not configured: install it from a fleet installer, or set '
    + 'server_url and join_token.';
  text('connection', `Updated ${new Date().toLocaleTimeString()}.${state}`, configured ? 'muted' : 'bad');
}

const ENROLLMENT_STATES = {
  not_configured: ['not configured: this agent belongs to no fleet', 'muted'],
  enrolling: ['enrolling', ''],
  enrolled: ['enrolled', 'ok'],
  failed: ['failed: see the message above', 'bad'],
  unavailable: ['unavailable: the enrollment bundle is not running', 'muted'],
};

function checkInText(c) {
  if (!c) return ['none yet', 'muted'];
  const at = time(c.at, '?');
  if (c.succeeded) return [`${at}: OK${c.update_available ? ', an update is available' : ''}`, 'ok'];
  return [`${at}: ${c.status ? `HTTP ${c.status}` : 'server not reachable'}${c.problem ? ` — ${c.problem}` : ''}`, 'bad'];
}

function renderEnrollment(e) {
  const [stateText, cls] = ENROLLMENT_STATES[e.state] || [e.state, ''];
  text('enrollment_state', stateText, cls);
  text('enrollment_message', e.message || '', e.state === 'failed' ? 'bad' : 'muted');
  text('enrollment_server', e.server_url || '–', e.server_url ? '' : 'muted');
  text('enrollment_fleet', e.fleet_id || '–', e.fleet_id ? '' : 'muted');
  text('enrollment_agent', e.agent_id || '–', e.agent_id ? '' : 'muted');
  text('enrollment_enrolled_at', time(e.enrolled_at, '–'));
  const [checkIn, checkInCls] = checkInText(e.last_check_in);
  text('enrollment_check_in', checkIn, checkInCls);
}

async function refreshEnrollment() {
  try {
    const resp = await fetch('/api/enrollment/status', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.error ? body.error.message : `HTTP ${resp.status}`);
    renderEnrollment(body);
    return body;
  } catch (e) {
    text('enrollment_message', `Cannot read the enrollment status: ${e.message}`, 'bad');
    return null;
  }
}

async function refresh() {
  const enrollment = await refreshEnrollment();
  await refreshLocalPolicy();
  try {
    const resp = await fetch('/api/autoupdate/status', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await resp.json();
    if (!resp.ok) throw new Error(body.error ? body.error.message : `HTTP ${resp.status}`);
    render(body, enrollment);
  } catch (e) {
    text('connection', `Cannot read the agent's status: ${e.message}`, 'bad');
  }
}

startLocalPolicy();
refresh();
setInterval(refresh, REFRESH_MS);
