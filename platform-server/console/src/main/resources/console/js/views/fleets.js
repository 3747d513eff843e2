import { api, getAll } from '../api.js';
import { h, link, seg, time } from '../dom.js';
import { field, FormErrors, generalError } from '../forms.js';
import { emptyRow, loadFailed, loading, pageHeader, table, confirmDialog, notice } from '../ui.js';

/** Fleet ids as the API accepts them: lowercase letters, digits and dashes, starting with a letter or digit. */
const FLEET_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function slug(name) {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
}

export async function render(root, ctx) {
  const newButton = h('button', { type: 'button', class: 'primary', testid: 'new-fleet' }, 'New fleet');
  const header = pageHeader('Fleets', newButton);
  const intro = h('p', { class: 'muted' }, 'A fleet is a group of agents sharing one update policy and one installer configuration.');
  const createForm = buildCreateForm(ctx, () => { createForm.hidden = true; newButton.hidden = false; });
  createForm.hidden = true;
  newButton.addEventListener('click', () => {
    createForm.hidden = false;
    newButton.hidden = true;
    createForm.querySelector('input').focus();
  });
  const listArea = h('div', {}, loading());
  root.append(header, intro, createForm, listArea);

  let list;
  try {
    list = await getAll('/api/v1/fleets', 'fleets');
  } catch (e) {
    loadFailed(listArea, 'the fleets', e, () => ctx.navigate('/fleets'));
    return;
  }
  const { el, tbody } = table('fleets-table', ['Name', 'ID', 'Description', 'Updated', '']);
  const rows = [...(list.fleets || [])].sort((a, b) => String(a.name).localeCompare(String(b.name)));
  if (rows.length === 0) {
    tbody.append(emptyRow(5, 'No fleets yet. Create one to give a group of agents its own update policy.'));
  }
  for (const fleet of rows) {
    const remove = h('button', { type: 'button', class: 'small danger-outline', testid: `delete-fleet-${fleet.id}` }, 'Delete');
    remove.addEventListener('click', () => deleteFleet(ctx, fleet, listArea));
    tbody.append(h('tr', { testid: `fleet-row-${fleet.id}`, 'data-fleet-id': fleet.id },
      h('td', {}, link(`/fleets/${seg(fleet.id)}`, fleet.name, { class: 'strong', testid: `fleet-link-${fleet.id}` })),
      h('td', {}, h('code', {}, fleet.id)),
      h('td', { class: 'wrap' }, fleet.description || h('span', { class: 'muted' }, '—')),
      h('td', {}, time(fleet.updated_at || fleet.created_at)),
      h('td', { class: 'row-actions' },
        link(`/fleets/${seg(fleet.id)}/policy`, 'Policy', { class: 'button small', testid: `fleet-policy-${fleet.id}` }),
        link(`/fleets/${seg(fleet.id)}/installers`, 'Installers', { class: 'button small', testid: `fleet-installers-${fleet.id}` }),
        link(`/fleets/${seg(fleet.id)}`, 'Edit', { class: 'button small', testid: `fleet-edit-${fleet.id}` }),
        remove)));
  }
  listArea.replaceChildren(el);
}

async function deleteFleet(ctx, fleet, area) {
  const ok = await confirmDialog({
    title: `Delete fleet ${fleet.name}?`,
    message: `The fleet "${fleet.name}" (${fleet.id}) and its update policy are removed. Agents of this fleet fall back to the global policy. This cannot be undone.`,
    confirmLabel: 'Delete fleet',
    danger: true,
  });
  if (!ok) return;
  try {
    await api.del(`/api/v1/fleets/${seg(fleet.id)}`);
    ctx.flash('success', `Fleet ${fleet.name} deleted.`);
    ctx.navigate('/fleets', { replace: true });
  } catch (e) {
    area.prepend(notice('error', `Could not delete ${fleet.name}: ${e.message}`, 'delete-error'));
  }
}

function buildCreateForm(ctx, close) {
  const name = h('input', { id: 'fleet-name', name: 'name', maxlength: 200, autocomplete: 'off' });
  const id = h('input', { id: 'fleet-id', name: 'id', maxlength: 63, autocomplete: 'off', spellcheck: 'false' });
  const description = h('textarea', { id: 'fleet-description', name: 'description', rows: 2 });
  const general = generalError('fleet-create-error');
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'create-fleet' }, 'Create fleet');
  const cancel = h('button', { type: 'button', testid: 'cancel-create-fleet' }, 'Cancel');
  const form = h('form', { class: 'card', testid: 'fleet-create-form', novalidate: true },
    h('h2', {}, 'New fleet'),
    general,
    h('div', { class: 'grid two' },
      field('name', 'Name', name),
      field('id', 'ID', id, 'Lowercase letters, digits and dashes. Used in URLs and installers; it cannot change later.')),
    field('description', 'Description (optional)', description),
    h('div', { class: 'actions' }, submit, cancel));
  const errors = new FormErrors(form, general, 'fleet');

  // the id follows the name until the user edits it
  let idTouched = false;
  id.addEventListener('input', () => { idTouched = id.value !== ''; });
  name.addEventListener('input', () => { if (!idTouched) id.value = slug(name.value); });
  cancel.addEventListener('click', () => { errors.clear(); form.reset(); idTouched = false; close(); });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const body = { id: id.value.trim(), name: name.value.trim() };
    if (description.value.trim()) body.description = description.value.trim();
    if (!body.name) return errors.show({ field: 'name', message: 'Give the fleet a name.' });
    if (!FLEET_ID.test(body.id)) return errors.show({ field: 'id', message: 'Use lowercase letters, digits and dashes (at most 63), starting with a letter or digit.' });
    submit.disabled = true;
    try {
      await api.post('/api/v1/fleets', body);
      ctx.flash('success', `Fleet ${body.name} created.`);
      ctx.navigate('/fleets', { replace: true });
    } catch (e) {
      errors.show(e);
    } finally {
      submit.disabled = false;
    }
    return undefined;
  });
  return form;
}
