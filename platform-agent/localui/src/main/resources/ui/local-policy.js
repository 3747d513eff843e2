// The local policy on the agent's page: editable only while allow_local_override is on (the agent says so in
// /api/autoupdate/local-policy). The agent checks a saved policy with the update server's own validator; its field
// errors are shown next to their fields. Values are written with textContent and .value only, never as HTML.

const PATH = '/api/autoupdate/local-policy';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
// the form's inputs, by the policy's wire path (nested members joined with '-', as in the element ids)
const NUMBERS = ['update_check_days', 'maintenance_window-start_hour', 'maintenance_window-start_min',
  'maintenance_window-end_hour', 'maintenance_window-end_min'];
const BOXES = ['allow_major_upgrade', 'collect_telemetry', 'maintenance_window-enabled'];
const TEXTS = ['version_pin_strategy', 'maintenance_window-timezone'];

let loaded = null; // the policy last read from the agent: what the form does not show is sent back unchanged
let dirty = false; // the user changed the form since it was filled: the periodic refresh must not overwrite it

const el = (id) => document.getElementById(id);
const input = (path) => el(`lp-${path}`);

function get(policy, path) {
  return path.split('-').reduce((o, k) => (o == null ? o : o[k]), policy);
}

function set(policy, path, value) {
  const keys = path.split('-');
  const last = keys.pop();
  keys.reduce((o, k) => o[k], policy)[last] = value;
}

function buildDays() {
  const group = el('lp-days');
  if (group.querySelector('input')) return;
  DAYS.forEach((name, day) => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.id = `lp-day-${day}`;
    box.value = String(day);
    label.append(box, ` ${name}`);
    group.append(label);
  });
}

function fill(policy) {
  loaded = policy;
  dirty = false;
  NUMBERS.concat(TEXTS).forEach((p) => { input(p).value = String(get(policy, p)); });
  BOXES.forEach((p) => { input(p).checked = !!get(policy, p); });
  input('target_version').value = policy.target_version || '';
  const days = policy.maintenance_window.days_of_week;
  DAYS.forEach((_, day) => { el(`lp-day-${day}`).checked = days.includes(day); });
}

// A whole number goes as a number; anything else as typed, so the agent's strict reading names the field.
function number(text) {
  const t = text.trim();
  if (t === '') return null;
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

function read() {
  const policy = JSON.parse(JSON.stringify(loaded));
  NUMBERS.forEach((p) => set(policy, p, number(input(p).value)));
  TEXTS.forEach((p) => set(policy, p, input(p).value.trim()));
  BOXES.forEach((p) => set(policy, p, input(p).checked));
  const target = input('target_version').value.trim();
  policy.target_version = target === '' ? null : target;
  policy.maintenance_window.days_of_week = DAYS.map((_, d) => d).filter((d) => el(`lp-day-${d}`).checked);
  return policy;
}

function clearErrors() {
  document.querySelectorAll('#local-policy .field-error').forEach((e) => { e.textContent = ''; });
  document.querySelectorAll('#local-policy [aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  el('err-form').hidden = true;
  el('err-form').textContent = '';
}

// 'policy.maintenance_window.days_of_week[2]' → 'maintenance_window-days_of_week'
function fieldPath(field) {
  return (field || '').replace(/^policy\.?/, '').replace(/\[\d+\]$/, '').replace(/\./g, '-');
}

function showErrors(error) {
  const problems = error.details && error.details.length ? error.details
    : [{ field: error.field, message: error.message }];
  problems.forEach((p) => {
    const path = fieldPath(p.field);
    const span = path ? el(`err-${path}`) : null;
    if (span) {
      span.textContent = span.textContent ? `${span.textContent}; ${p.message}` : p.message;
      const field = input(path);
      if (field) field.setAttribute('aria-invalid', 'true');
    } else {
      el('err-form').hidden = false;
      el('err-form').textContent = `${p.field ? `${p.field}: ` : ''}${p.message}`;
    }
  });
}

function describeUse(view) {
  el('local-policy-use').textContent = view.in_force
    ? 'This policy is in force now.'
    : 'The fleet policy from the server is in force now; this local policy applies with mode = local and while '
      + 'the server cannot be reached.';
}

async function send(method, path, body) {
  const resp = await fetch(path, {
    method,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  let json = {};
  try { json = await resp.json(); } catch (e) { json = {}; }
  return { ok: resp.ok, status: resp.status, json };
}

async function save(event) {
  event.preventDefault();
  clearErrors();
  const result = el('save-result');
  result.textContent = 'Saving…';
  result.className = 'muted';
  try {
    const r = await send('PUT', PATH, { policy: read() });
    if (r.ok) {
      fill(r.json.policy);
      describeUse(r.json);
      result.textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
      result.className = 'ok';
    } else {
      showErrors(r.json.error || { message: `HTTP ${r.status}` });
      result.textContent = 'Not saved: see the marked fields.';
      result.className = 'bad';
    }
  } catch (e) {
    result.textContent = `Not saved: ${e.message}`;
    result.className = 'bad';
  }
}

async function checkNow() {
  const result = el('check-result');
  result.textContent = 'Asking the update worker…';
  result.className = 'muted';
  try {
    const r = await send('POST', '/api/autoupdate/check');
    result.textContent = r.ok ? `Checking now (run ${r.json.run_id}); the result shows under Automatic updates.`
      : (r.json.error ? r.json.error.message : `HTTP ${r.status}`);
    result.className = r.ok ? 'ok' : 'bad';
  } catch (e) {
    result.textContent = e.message;
    result.className = 'bad';
  }
}

// Reads the local policy and shows it as a form while local overrides are on, or says why the page is read-only.
export async function refreshLocalPolicy() {
  const override = el('override');
  let r;
  try {
    r = await send('GET', PATH);
  } catch (e) {
    override.textContent = `Cannot read the local policy: ${e.message}`;
    override.className = 'bad';
    return;
  }
  const view = r.json;
  const form = el('local-policy');
  const editable = r.ok && view.editable && !!view.policy;
  el('check-now-row').hidden = !(r.ok && view.editable);
  form.hidden = !editable;
  if (!editable) {
    override.textContent = r.ok
      ? (view.editable ? 'etc/local-policy.json has been invalid since the agent started (see Configuration errors): '
        + 'fix the file, then it can be changed here.' : `Read-only: ${view.reason}.`)
      : `Cannot read the local policy: ${view.error ? view.error.message : `HTTP ${r.status}`}`;
    override.className = r.ok ? 'muted' : 'bad';
    loaded = null;
    return;
  }
  override.textContent = 'Local overrides are on (allow_local_override = true): change the local policy here.';
  override.className = '';
  buildDays();
  describeUse(view);
  if (!dirty || loaded === null) fill(view.policy);
}

export function startLocalPolicy() {
  el('local-policy').addEventListener('submit', save);
  el('local-policy').addEventListener('input', () => { dirty = true; });
  el('check-now').addEventListener('click', checkNow);
}
