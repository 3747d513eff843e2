// What the Agents list and an agent's page share: the status badge and the per-agent commands ("Check now",
// "Update now", "Cancel"), which the server queues and hands to the agent at its next check-in.

import { api } from '../api.js';
import { badge, h, seg } from '../dom.js';
import { notice } from '../ui.js';

const IN_PROGRESS = new Set(['checking', 'pending', 'downloading', 'staging', 'applying', 'restarting']);

/** A readable badge for an update status; failed and rolled back stand out, a missing status is a dash. */
export function statusBadge(status, testid) {
  if (!status) return h('span', { class: 'muted', testid }, '—');
  // the wire name itself (what the API, the agent and the docs say), made to stand out by colour
  const label = String(status);
  let kind = 'neutral';
  if (status === 'succeeded') kind = 'ok';
  else if (status === 'failed' || status === 'rolled_back') kind = 'bad attention';
  else if (IN_PROGRESS.has(status)) kind = 'info';
  else if (status === 'skipped' || status === 'cancelled') kind = 'warn';
  return badge(label, kind, { testid, 'data-status': status, title: status });
}

/** An error code in monospace, or a dash. */
export function errorCode(code, testid) {
  return code ? h('code', { class: 'error-code', testid }, code) : h('span', { class: 'muted', testid }, '—');
}

export const COMMANDS = [
  { command: 'check_update', label: 'Check now', testid: 'check-now', done: 'Check' },
  { command: 'force_update', label: 'Update now', testid: 'update-now', done: 'Update' },
  { command: 'cancel_update', label: 'Cancel', testid: 'cancel-update', done: 'Cancel' },
];

/**
 * The three command buttons of one agent. Each POSTs its command (the API client adds the CSRF token) and writes
 * the outcome into `outcome` (an element the caller places): the command id on success, the server's error
 * otherwise. `afterQueued(command)` runs after a success (e.g. to refresh the pending commands).
 */
export function commandButtons(agent, outcome, { small = false, afterQueued } = {}) {
  const revoked = Boolean(agent.revoked_at);
  const buttons = COMMANDS.map((c) => h('button', {
    type: 'button',
    class: `${small ? 'small ' : ''}${c.command === 'force_update' ? 'primary' : ''}`.trim() || null,
    testid: `${c.testid}-${agent.id}`,
    disabled: revoked,
    title: revoked ? 'This agent has been revoked.' : null,
  }, c.label));
  buttons.forEach((button, i) => {
    const c = COMMANDS[i];
    button.addEventListener('click', async () => {
      buttons.forEach((b) => { b.disabled = true; });
      outcome.replaceChildren();
      try {
        const queued = await api.post(`/api/v1/agents/${seg(agent.id)}/commands`, { command: c.command });
        outcome.replaceChildren(h('div', { class: 'alert success', role: 'status', testid: `command-queued-${agent.id}` },
          `${c.done} queued for the next check-in of ${agent.id} (command `, h('code', { testid: 'command-id' }, queued.id), ').'));
        if (afterQueued) await afterQueued(queued);
      } catch (e) {
        if (e.status === 401) return;
        const why = e.code === 'agent_revoked' ? 'the agent has been revoked' : e.message;
        outcome.replaceChildren(notice('error', `${c.label} failed for ${agent.id}: ${why} (${e.code || e.status}).`,
          `command-error-${agent.id}`));
      } finally {
        buttons.forEach((b) => { b.disabled = revoked; });
      }
    });
  });
  return buttons;
}
