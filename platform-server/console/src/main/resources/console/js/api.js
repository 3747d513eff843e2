// The REST client: JSON in and out, the session cookie (HttpOnly, sent by the browser) and the CSRF token on every
// state-changing request. Errors arrive as ApiError with the server's code, message and offending field.

export class ApiError extends Error {
  constructor(status, code, message, field, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || null;
    // further {field, message} problems when the server reports several at once
    this.details = Array.isArray(details) ? details.filter((d) => d && d.field && d.message) : [];
  }
}

let csrfToken = null;
let unauthorizedHandler = () => {};

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Called when a request answers 401: the session has expired or was logged out elsewhere. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

async function request(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) {
    headers['X-CSRF-Token'] = csrfToken;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check that it is running, then try again.', null);
  }
  const text = response.status === 204 ? '' : await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    const fallback = `The server answered ${response.status}${response.statusText ? ' ' + response.statusText : ''}.`;
    const apiError = new ApiError(response.status, error.code || `http_${response.status}`, error.message || fallback,
      error.field, error.details || error.violations);
    if (response.status === 401 && !options.expect401) {
      unauthorizedHandler(apiError);
    }
    throw apiError;
  }
  return data;
}

export const api = {
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, body, options) => request('POST', path, body === undefined ? {} : body, options),
  put: (path, body, options) => request('PUT', path, body, options),
  del: (path, options) => request('DELETE', path, undefined, options),
};

/**
 * Every item of a paged list route (`{"<key>": [...], "next_cursor"}`): follows `next_cursor` until it is null and
 * answers the first page's body with `key` holding all items, so a page that showed the whole list still does.
 */
export async function getAll(path, key, options) {
  const first = await api.get(path, options);
  const items = [...(first[key] || [])];
  let cursor = first.next_cursor;
  // a server that repeats a cursor must not make the console loop forever
  for (let pages = 1; cursor && pages < 1000; pages += 1) {
    const sep = path.includes('?') ? '&' : '?';
    const next = await api.get(`${path}${sep}cursor=${encodeURIComponent(cursor)}`, options);
    items.push(...(next[key] || []));
    cursor = next.next_cursor;
  }
  return { ...first, [key]: items, next_cursor: null };
}

/** Builds a query string from the given values, leaving out empty ones. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') q.set(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
