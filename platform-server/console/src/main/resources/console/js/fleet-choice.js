// The fleet filter several pages share: the fleets to choose from and a select with "all fleets" first.

import { api, getAll } from './api.js';
import { h } from './dom.js';

/** The fleets the caller may see, or none when they cannot be listed (the filter then offers only "all"). */
export async function visibleFleets() {
  try {
    return (await getAll('/api/v1/fleets', 'fleets')).fleets || [];
  } catch (e) {
    if (e.status === 401) throw e;
    return [];
  }
}

/**
 * A select of the fleets by name, `allLabel` (value '') first; a `current` fleet not in the list (from a link)
 * stays selectable.
 */
export function fleetSelect({ id, testid, fleets, current = '', allLabel = 'all fleets' }) {
  const select = h('select', { id, testid },
    h('option', { value: '' }, allLabel),
    [...fleets].sort((a, b) => String(a.name).localeCompare(String(b.name))).map((f) => h('option', { value: f.id }, `${f.name} (${f.id})`)),
    current && !fleets.some((f) => f.id === current) ? h('option', { value: current }, current) : null);
  select.value = current;
  return select;
}
