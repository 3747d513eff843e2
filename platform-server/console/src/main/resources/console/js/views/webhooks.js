import { api, query } from '../api.js';
import { badge, fill, h, time } from '../dom.js';
import { fleetSelect, visibleFleets } from '../fleet-choice.js';
import { checkField, field, FormErrors, generalError } from '../forms.js';
import { confirmDialog, emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

/** The event types a webhook can subscribe to; the first four are what a new webhook gets by default. */
export const WEBHOOK_EVENTS = [
  ['rollout.paused', 'A rollout paused itself on failures', true],
  ['release.failed', 'A release failed on agents (1, 5, 10, 25, … in a day)', true],
  ['release.cached', 'A new release was cached', true],
  ['agent.outcome', 'An agent\'s update run ended', true],
  ['agent.status', 'An agent\'s update status changed (many)', false],
  ['rollout.progress', 'A rollout\'s state or counts changed (many)', false],
  ['sync.progress', 'A release sync made progress', false],
];

const DELIVERIES = 25;

/**
 * Settings → Webhooks: outgoing notifications to a chat or paging system. Each webhook has a URL, the events it
 * wants and optionally one fleet; the server signs every body with the webhook's secret
 * (X-PrintMaster-Signature: sha256=…), which is shown once at creation. Each webhook's delivery log shows what was
 * sent, how often it was tried and what the receiver answered.
 */
export async function render(root, ctx) {
  const listArea = h('div', {}, loading());
  const created = h('div', { testid: 'webhook-created-area' });
  const formArea = h('section', { class: 'card', hidden: true, testid: 'webhook-form-card' });
  const newButton = h('button', { type: 'button', class: 'primary', testid: 'new-webhook' }, 'New webhook');
  root.append(pageHeader('Webhooks', newButton),
    h('p', { class: 'muted' }, 'The server POSTs each chosen event as JSON to the webhook\'s URL, signed with its secret '
      + '(header X-PrintMaster-Signature: sha256=<HMAC-SHA256 of the body>). Failed deliveries (5xx, 429, no answer) are '
      + 'retried with growing pauses; other 4xx answers are final.'),
    created, formArea, listArea);

  const reload = async () => {
    let answer;
    try {
      answer = await api.get('/api/v1/webhooks');
    } catch (e) {
      if (e.status === 401 || !ctx.isCurrent()) return;
      if (e.status === 404) {
        fill(listArea, notice('info', 'This server does not send webhooks yet: the notifications service is not installed.', 'webhooks-unavailable'));
        return;
      }
      loadFailed(listArea, 'the webhooks', e, reload);
      return;
    }
    if (!ctx.isCurrent()) return;
    fill(listArea, webhookTable(answer.webhooks || [], reload));
  };

  const fleets = await visibleFleets();
  const close = () => {
    formArea.hidden = true;
    newButton.hidden = false;
  };
  formArea.append(createForm(fleets, async (answer) => {
    close();
    fill(created, secretBox(answer, () => fill(created)));
    await reload();
  }, close));
  newButton.addEventListener('click', () => {
    formArea.hidden = false;
    newButton.hidden = true;
    formArea.querySelector('input').focus();
  });
  await reload();
}

function createForm(fleets, onCreated, onCancel) {
  const url = h('input', { id: 'webhook-url', type: 'url', placeholder: 'https://chat.example.com/hooks/…', spellcheck: 'false', autocomplete: 'off' });
  const fleet = fleetSelect({ id: 'webhook-fleet', testid: 'webhook-fleet', fleets, allLabel: 'every fleet' });
  const secret = h('input', { id: 'webhook-secret', type: 'password', autocomplete: 'new-password', spellcheck: 'false', placeholder: 'leave empty to have one generated' });
  const boxes = WEBHOOK_EVENTS.map(([type, label, byDefault]) => {
    const box = h('input', { type: 'checkbox', id: `webhook-event-${type.replace('.', '-')}`, value: type, checked: byDefault });
    return checkField('events', h('span', {}, h('code', {}, type), ` ${label}`), box);
  });
  const general = generalError('webhook-error');
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'create-webhook' }, 'Create webhook');
  const cancel = h('button', { type: 'button', class: 'ghost', testid: 'cancel-webhook' }, 'Cancel');
  const form = h('form', { testid: 'webhook-form', novalidate: true },
    h('h2', {}, 'New webhook'),
    general,
    field('url', 'URL (http or https)', url, 'Where the server POSTs the events.'),
    h('fieldset', { class: 'plain', 'data-field': 'events' },
      h('legend', {}, 'Events'),
      h('div', { class: 'event-choices' }, boxes),
      h('p', { class: 'field-error', hidden: true })),
    h('div', { class: 'grid two' },
      field('fleet', 'Fleet', fleet, 'Only the events of this fleet; server-wide events (new releases) are always sent.'),
      field('secret', 'Secret (optional)', secret, 'Used to sign the bodies. Empty: the server generates one and shows it once.')),
    h('div', { class: 'actions' }, submit, cancel));
  const errors = new FormErrors(form, general);
  cancel.addEventListener('click', () => {
    errors.clear();
    onCancel();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const events = boxes.map((b) => b.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
    if (!url.value.trim()) {
      errors.show({ field: 'url', message: 'Required: the URL the server sends the events to.' });
      return;
    }
    if (!events.length) {
      errors.show({ field: 'events', message: 'Choose at least one event.' });
      return;
    }
    const body = { url: url.value.trim(), events };
    if (fleet.value) body.fleet = fleet.value;
    if (secret.value) body.secret = secret.value;
    submit.disabled = true;
    try {
      const answer = await api.post('/api/v1/webhooks', body);
      form.reset();
      secret.value = '';
      await onCreated({ ...answer, generated: !body.secret });
    } catch (e) {
      errors.show(e);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function secretBox(answer, dismiss) {
  const hook = answer.webhook || answer;
  const secret = answer.secret || hook.secret;
  return h('div', { class: 'alert success secret-box', role: 'status', testid: 'webhook-created' },
    h('h2', {}, `Webhook ${hook.id || ''} created`),
    secret && answer.generated
      ? [h('p', {}, h('strong', {}, 'Copy the secret now: it is shown only this once.'), ' Receivers check each body\'s signature with it.'),
        h('div', { class: 'copy-row' }, h('input', { readonly: true, value: secret, class: 'secret', testid: 'webhook-secret-value', 'aria-label': 'The webhook\'s secret' }))]
      : h('p', {}, 'Bodies are signed with the secret you gave.'),
    h('button', { type: 'button', class: 'ghost', onclick: dismiss, testid: 'hide-webhook-secret' }, secret && answer.generated ? 'I have stored it, hide it' : 'Close'));
}

function webhookTable(hooks, reload) {
  const { el, tbody } = table('webhooks-table', ['URL', 'Events', 'Fleet', 'Created', '']);
  if (hooks.length === 0) tbody.append(emptyRow(5, 'No webhooks yet.'));
  for (const w of hooks) {
    const log = h('tr', { class: 'detail', hidden: true, testid: `webhook-deliveries-row-${w.id}` }, h('td', { colspan: 5 }));
    const show = h('button', { type: 'button', class: 'small', 'aria-expanded': 'false', testid: `webhook-deliveries-${w.id}` }, 'Deliveries');
    show.addEventListener('click', async () => {
      const open = log.hidden;
      log.hidden = !open;
      show.setAttribute('aria-expanded', String(open));
      if (open) await deliveries(w, log.firstElementChild);
    });
    const remove = h('button', { type: 'button', class: 'small danger-outline', testid: `delete-webhook-${w.id}` }, 'Delete');
    remove.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: 'Delete this webhook?',
        message: `No more events are sent to ${w.url}. Deliveries not yet made are dropped.`,
        confirmLabel: 'Delete',
        danger: true,
      });
      if (!ok) return;
      try {
        await api.del(`/api/v1/webhooks/${encodeURIComponent(w.id)}`);
        await reload();
      } catch (e) {
        if (e.status !== 401) remove.after(notice('error', `Could not delete it: ${e.message}`, 'webhook-delete-error'));
      }
    });
    tbody.append(
      h('tr', { testid: `webhook-row-${w.id}` },
        h('td', { class: 'wrap' }, h('code', { testid: `webhook-url-${w.id}` }, w.url)),
        h('td', {}, h('div', { class: 'chips' }, (w.events || []).map((e) => h('span', { class: 'chip' }, e)))),
        h('td', {}, w.fleet || h('span', { class: 'muted' }, 'every fleet')),
        h('td', {}, time(w.created_at)),
        h('td', { class: 'row-actions' }, show, remove)),
      log);
  }
  return el;
}

function deliveryState(state) {
  const kind = state === 'delivered' ? 'ok' : state === 'failed' ? 'bad' : 'info';
  return badge(state || '?', kind, { 'data-state': state });
}

async function deliveries(webhook, cell, cursor = null) {
  if (!cursor) fill(cell, loading());
  let page;
  try {
    page = await api.get(`/api/v1/webhooks/${encodeURIComponent(webhook.id)}/deliveries${query({ limit: DELIVERIES, cursor })}`);
  } catch (e) {
    if (e.status !== 401) fill(cell, notice('error', `Could not load the deliveries: ${e.message}`, 'deliveries-error'));
    return;
  }
  const { el, tbody } = table(`deliveries-${webhook.id}`, ['Event', 'State', 'Attempts', 'Last answer', 'Next attempt', 'Created']);
  const list = page.deliveries || [];
  if (!list.length) tbody.append(emptyRow(6, 'Nothing sent yet.'));
  for (const d of list) {
    tbody.append(h('tr', { testid: `delivery-${d.id}`, 'data-state': d.state },
      h('td', {}, h('code', {}, d.event_type || d.type || '?')),
      h('td', {}, deliveryState(d.state)),
      h('td', { class: 'num' }, String(d.attempts ?? 0)),
      h('td', { class: 'message' }, d.last_status ? `HTTP ${d.last_status}` : '', d.last_error ? ` ${d.last_error}` : ''),
      h('td', {}, time(d.next_attempt_at)),
      h('td', {}, time(d.created_at))));
  }
  const more = page.next_cursor
    ? h('button', { type: 'button', class: 'small', onclick: () => deliveries(webhook, cell, page.next_cursor) }, 'Older deliveries')
    : null;
  fill(cell, h('h3', {}, `Deliveries to ${webhook.url}`), el, more);
}
