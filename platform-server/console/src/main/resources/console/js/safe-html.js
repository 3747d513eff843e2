// The one place the console turns an HTML string into nodes: release notes the server has already rendered from
// Markdown and sanitized (`release_notes_html`). The server's sanitizer is the first line; this is the second: the
// string is parsed into an inert document (DOMParser runs no script, loads nothing, fires no handler) and only an
// allowlist of text-formatting elements is copied over, with no attribute except a checked link target. Nothing the
// parse produced is ever attached to the page itself.

import { h } from './dom.js';

const ALLOWED = new Set(['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'pre',
  'code', 'em', 'strong', 'b', 'i', 's', 'del', 'sub', 'sup', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span']);
// elements whose content is not text a reader should see: dropped with everything inside
const DROPPED = new Set(['script', 'style', 'template', 'iframe', 'object', 'embed', 'noscript', 'svg', 'math',
  'head', 'title', 'meta', 'link', 'base', 'form', 'textarea', 'select', 'button']);
const SAFE_LINK = /^(https?:|mailto:)/i;
// notes headings sit inside a page section: keep their order but below the page's own h1/h2
const HEADING_SHIFT = { h1: 'h3', h2: 'h4', h3: 'h5', h4: 'h6', h5: 'h6', h6: 'h6' };

/** A fragment of the allowed parts of `html`. */
export function safeFragment(html) {
  const parsed = new DOMParser().parseFromString(String(html || ''), 'text/html');
  const out = document.createDocumentFragment();
  copyChildren(parsed.body, out);
  return out;
}

function copyChildren(from, to) {
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      to.append(node.data);
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue; // comments, processing instructions
    const tag = node.localName;
    if (DROPPED.has(tag)) continue;
    if (!ALLOWED.has(tag)) {
      copyChildren(node, to); // an unknown wrapper: keep its text
      continue;
    }
    const el = h(HEADING_SHIFT[tag] || tag, {});
    if (tag === 'a') {
      const href = (node.getAttribute('href') || '').trim();
      if (SAFE_LINK.test(href)) {
        el.setAttribute('href', href);
        el.setAttribute('rel', 'noopener noreferrer nofollow');
        el.setAttribute('target', '_blank');
      }
    } else if (tag === 'ol') {
      const start = node.getAttribute('start');
      if (start && /^\d{1,6}$/.test(start)) el.setAttribute('start', start);
    }
    copyChildren(node, el);
    to.append(el);
  }
}
