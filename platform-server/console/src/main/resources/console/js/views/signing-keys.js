import { api } from '../api.js';
import { badge, h, seg, time } from '../dom.js';
import { field, FormErrors, generalError } from '../forms.js';
import { confirmDialog, emptyRow, loadFailed, loading, notice, pageHeader, table } from '../ui.js';

/**
 * Signing keys: the Ed25519 keys that sign release manifests (public parts only), their PEM for agent builds and
 * OpenSSL, rotation (after a confirmation) and the chain of rotation statements.
 */
export async function render(root, ctx) {
  const area = h('div', {}, loading());
  const result = h('div', { testid: 'rotation-result' });
  root.append(pageHeader('Signing keys'),
    h('p', { class: 'muted' }, 'Agents trust a release only through a manifest signed by one of these keys. Rotating creates a new key; the old key signs a statement naming the new one, so agents that trust the old key learn the new one and retire the old one. A revoked key signs nothing agents accept.'),
    result, rotateForm(ctx, result), area);

  let keys;
  let rotations;
  try {
    [keys, rotations] = await Promise.all([api.get('/api/v1/releases/signing-keys'), api.get('/api/v1/releases/signing-keys/rotations')]);
  } catch (e) {
    loadFailed(area, 'the signing keys', e, () => ctx.navigate('/signing-keys', { replace: true }));
    return;
  }
  area.replaceChildren(keyTable(keys.keys || []), rotationTable(rotations.rotations || []));
}

function keyTable(keys) {
  const { el, tbody } = table('keys-table', ['Key id', 'Algorithm', 'State', 'Created', 'Replaced', 'Notes', 'Public key']);
  if (keys.length === 0) tbody.append(emptyRow(7, 'No key yet: the first one is created when the first manifest is signed.'));
  for (const k of keys) {
    const pem = h('details', {},
      h('summary', {}, 'PEM'),
      h('pre', { class: 'notes', testid: `pem-${k.id}` }, k.public_key_pem),
      h('a', { href: `/api/v1/releases/signing-keys/${seg(k.id)}/pem`, download: `${k.id}.pem`, class: 'button small' }, 'Download'));
    tbody.append(h('tr', { testid: `key-row-${k.id}`, class: k.active ? '' : 'inactive' },
      h('td', {}, h('code', {}, k.id)),
      h('td', {}, k.algorithm),
      h('td', {}, k.active ? badge('active', 'ok', { testid: 'key-active' })
        : badge(k.state || 'retired', k.state === 'revoked' ? 'bad' : k.state === 'pending' ? 'warn' : 'neutral')),
      h('td', { class: 'nowrap' }, time(k.created_at)),
      h('td', { class: 'nowrap' }, k.rotated_at ? time(k.rotated_at) : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'wrap small' }, k.notes || ''),
      h('td', {}, pem)));
  }
  return h('section', { class: 'plugin-group' }, h('h2', {}, 'Keys'), el);
}

function rotationTable(rotations) {
  const { el, tbody } = table('rotations-table', ['Old key', 'New key', 'Statement (signed by the old key)']);
  if (rotations.length === 0) tbody.append(emptyRow(3, 'No rotation yet.'));
  for (const r of rotations) {
    tbody.append(h('tr', {},
      h('td', {}, h('code', {}, r.old_key_id)),
      h('td', {}, h('code', {}, r.new_key_id)),
      h('td', { class: 'wrap' }, h('details', {}, h('summary', {}, 'Statement and signature'),
        h('pre', { class: 'notes' }, r.statement),
        h('p', { class: 'small' }, 'Signature (base64): ', h('code', {}, r.signature))))));
  }
  return h('section', { class: 'plugin-group' }, h('h2', {}, 'Rotation statements'), el);
}

function rotateForm(ctx, result) {
  const notes = h('input', { id: 'rotate-notes', maxlength: 2000, autocomplete: 'off', placeholder: 'why, e.g. yearly rotation' });
  const general = generalError('rotate-error');
  const submit = h('button', { type: 'submit', class: 'danger', testid: 'rotate-key' }, 'Rotate key…');
  const form = h('form', { class: 'card', testid: 'rotate-form', novalidate: true },
    h('h2', {}, 'Rotate the signing key'),
    general,
    field('notes', 'Notes for the new key (optional)', notes),
    h('p', { class: 'small' }, 'Every manifest is re-signed with the new key at once: agents retire the old key when they receive the rotation statement. Under an offline root the new key is pending until its delegation is posted.'),
    h('div', { class: 'actions' }, submit));
  const errors = new FormErrors(form, general);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const ok = await confirmDialog({
      title: 'Rotate the signing key?',
      message: 'A new key starts signing now and every manifest is re-signed with it. Agents learn the new key from the rotation statement at their next check-in and stop accepting the old one. This cannot be undone.',
      confirmLabel: 'Rotate key',
      danger: true,
    });
    if (!ok) return;
    submit.disabled = true;
    try {
      const body = {};
      if (notes.value.trim()) body.notes = notes.value.trim();
      const answer = await api.post('/api/v1/releases/signing-keys/rotate', body);
      ctx.flash('success', answer.pending
        ? `New signing key ${answer.key.id} is pending: it signs nothing until the offline root's delegation of it is posted.`
        : `New signing key ${answer.key.id} is active; ${answer.regenerated_count} manifest${answer.regenerated_count === 1 ? '' : 's'} re-signed.`);
      ctx.navigate('/signing-keys', { replace: true });
    } catch (e) {
      errors.show(e);
      result.replaceChildren(notice('error', `The key was not rotated: ${e.message}`));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
