import { api, query } from '../api.js';
import { h, link, seg, time } from '../dom.js';
import { ACTIVE_STATES, isActive, progressBar, stateBadge } from '../rollout-ui.js';
import { field, FormErrors, generalError } from '../forms.js';
import { confirmDialog, loadFailed, loading, notice, pageHeader } from '../ui.js';

/** One fleet: rename, describe, delete; the way to its update policy. */
export async function render(root, ctx, { fleetId }) {
  const area = h('div', {}, loading());
  root.append(area);
  let fleet;
  try {
    fleet = await api.get(`/api/v1/fleets/${seg(fleetId)}`);
  } catch (e) {
    if (e.status === 404) {
      area.replaceChildren(pageHeader('Fleet not found'),
        notice('error', `There is no fleet with the id ${fleetId}.`, 'load-error'),
        h('p', {}, link('/fleets', 'Back to fleets')));
    } else {
      loadFailed(area, 'the fleet', e, () => ctx.navigate(`/fleets/${seg(fleetId)}`, { replace: true }));
    }
    return;
  }

  const name = h('input', { id: 'edit-fleet-name', name: 'name', value: fleet.name, maxlength: 200 });
  const description = h('textarea', { id: 'edit-fleet-description', name: 'description', rows: 3 });
  description.value = fleet.description || '';
  const general = generalError('fleet-edit-error');
  const saved = h('div', { class: 'alert success', role: 'status', testid: 'fleet-saved', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary', testid: 'save-fleet' }, 'Save');
  const form = h('form', { class: 'card', testid: 'fleet-edit-form', novalidate: true },
    h('h2', {}, 'Details'),
    general, saved,
    h('dl', { class: 'facts' },
      h('dt', {}, 'ID'), h('dd', {}, h('code', {}, fleet.id)),
      h('dt', {}, 'Created'), h('dd', {}, time(fleet.created_at)),
      h('dt', {}, 'Updated'), h('dd', { testid: 'fleet-updated' }, time(fleet.updated_at))),
    field('name', 'Name', name),
    field('description', 'Description', description),
    h('div', { class: 'actions' }, save));
  const errors = new FormErrors(form, general, 'fleet');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    saved.hidden = true;
    const body = { name: name.value.trim() };
    if (!body.name) {
      errors.show({ field: 'name', message: 'A fleet needs a name.' });
      return;
    }
    body.description = description.value.trim() || null;
    save.disabled = true;
    try {
      const updated = await api.put(`/api/v1/fleets/${seg(fleet.id)}`, body);
      fleet = updated && updated.id ? updated : { ...fleet, ...body };
      title.textContent = fleet.name;
      document.title = `${fleet.name} · PrintMaster`;
      form.querySelector('[data-testid="fleet-updated"]').replaceChildren(time(fleet.updated_at));
      saved.textContent = 'Fleet saved.';
      saved.hidden = false;
    } catch (e) {
      errors.show(e);
    } finally {
      save.disabled = false;
    }
  });

  const remove = h('button', { type: 'button', class: 'danger', testid: 'delete-fleet' }, 'Delete fleet');
  remove.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Delete fleet ${fleet.name}?`,
      message: `The fleet "${fleet.name}" (${fleet.id}) and its update policy are removed. This cannot be undone.`,
      confirmLabel: 'Delete fleet',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/api/v1/fleets/${seg(fleet.id)}`);
      ctx.flash('success', `Fleet ${fleet.name} deleted.`);
      ctx.navigate('/fleets', { replace: true });
    } catch (e) {
      errors.show(e);
    }
  });

  const header = pageHeader(fleet.name,
    link(`/dashboard?fleet=${encodeURIComponent(fleet.id)}`, 'Dashboard', { class: 'button', testid: 'open-fleet-dashboard' }),
    link(`/fleets/${seg(fleet.id)}/installers`, 'Installers', { class: 'button', testid: 'open-installers' }),
    link(`/fleets/${seg(fleet.id)}/policy`, 'Update policy', { class: 'button', testid: 'open-policy' }));
  const title = header.querySelector('h1');
  const rolloutCard = h('section', { class: 'card fleet-rollout', testid: 'fleet-rollout' }, h('h2', {}, 'Rollout'), loading());
  area.replaceChildren(
    h('p', { class: 'breadcrumbs' }, link('/fleets', 'Fleets'), ' / ', fleet.id),
    header,
    rolloutCard,
    form,
    h('div', { class: 'card danger-zone' },
      h('h2', {}, 'Delete'),
      h('p', {}, 'Deleting a fleet removes its policy. Its agents fall back to the global policy.'),
      remove));
  await showActiveRollout(rolloutCard, fleet);
}

/** The fleet's active rollout (state, progress, a link), or that there is none. */
async function showActiveRollout(card, fleet) {
  const all = link(`/rollouts${query({ fleet: fleet.id })}`, 'All rollouts of this fleet', { testid: 'fleet-rollouts-link' });
  const create = link(`/rollouts/new${query({ fleet: fleet.id })}`, 'New rollout', { class: 'button small', testid: 'fleet-new-rollout' });
  let rollouts;
  try {
    // one question per active state: exact however many ended rollouts the fleet has (at most one is active)
    const pages = await Promise.all([...ACTIVE_STATES].map((state) => api.get(`/api/v1/rollouts${query({ fleet: fleet.id, state, limit: 1 })}`)));
    rollouts = pages.flatMap((p) => p.rollouts || []);
  } catch (e) {
    if (e.status === 401) throw e;
    card.replaceChildren(h('h2', {}, 'Rollout'), notice('error', `Could not load the fleet's rollouts: ${e.message}`, 'fleet-rollout-error'));
    return;
  }
  const active = rollouts.find(isActive);
  if (!active) {
    card.replaceChildren(h('h2', {}, 'Rollout'),
      h('p', { testid: 'no-active-rollout' }, 'No rollout is active for this fleet.'),
      h('div', { class: 'actions' }, create, all));
    return;
  }
  card.replaceChildren(h('h2', {}, 'Active rollout'),
    h('p', {}, stateBadge(active.state, 'fleet-rollout-state'), ' ',
      link(`/rollouts/${seg(active.id)}`, `${active.component} ${active.version}`, { class: 'strong', testid: 'fleet-rollout-link' }),
      active.origin === 'policy' ? h('span', { class: 'muted' }, ' (from the policy)') : null),
    progressBar(active.counts, 'fleet-rollout-progress', active.state),
    h('div', { class: 'actions' }, all));
}
