// Builds DOM nodes. Text always goes in through text nodes, never parsed as HTML, so whatever the server sends is
// shown as text and can never become markup.

/**
 * h('a', {href: '/x', class: 'y', testid: 'z', onclick: fn}, 'text', node, [more]) → element.
 * Props: class, text, value, checked, testid (→ data-testid), on<event> functions, true → empty attribute,
 * false/null/undefined → left out, anything else → attribute (as a string).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'value') {
      el.value = String(value);
    } else if (key === 'checked') {
      el.checked = true;
    } else if (key === 'testid') {
      el.setAttribute('data-testid', String(value));
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  appendAll(el, children);
  return el;
}

export function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/**
 * Replaces an element's content, leaving out null, undefined and false like h() does. Plain replaceChildren(x)
 * would show an absent optional part as the text "null".
 */
export function fill(el, ...children) {
  el.replaceChildren();
  return appendAll(el, children);
}

/** A link the router handles without reloading the page. */
export function link(href, text, props = {}) {
  return h('a', { href, 'data-link': true, ...props }, text);
}

/** Shows or hides an element through the hidden attribute (the stylesheet makes [hidden] win over any display). */
export function show(el, visible) {
  el.hidden = !visible;
}

/** A <time> with the local date and time, the exact ISO instant on hover; a dash when there is none. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, String(iso));
  return h('time', { datetime: iso, title: iso }, d.toLocaleString());
}

/** A small coloured label. kind: ok | warn | bad | info | neutral. */
export function badge(text, kind = 'neutral', props = {}) {
  return h('span', { class: `badge ${kind}`, ...props }, text);
}

/** Path segment from server data, safe inside a route. */
export function seg(value) {
  return encodeURIComponent(String(value));
}
