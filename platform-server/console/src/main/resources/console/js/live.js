// The live console: ONE EventSource on /api/v1/events for the whole console, shared by every page. Pages subscribe
// to event types (and unsubscribe when the user leaves them); the shell shows whether the stream is up. The browser
// reconnects by itself after a dropped connection (sending Last-Event-ID, so the server replays what was missed);
// when the stream is closed for good (the server answered an error, e.g. while the session expired) this module
// opens a new one with backoff and tells subscribers to resynchronise, since events may have been lost.

/** The event types the server sends (frames `event: <type>`); the data is {type, at, fleet, …members}. */
export const EVENT_TYPES = ['agent.status', 'agent.outcome', 'rollout.progress', 'rollout.paused', 'release.failed',
  'sync.progress', 'release.cached'];

/** A pseudo type delivered to subscribers after a reconnect that may have lost events: reload what you show. */
export const RESYNC = 'resync';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;

const subscribers = new Set(); // {types: Set|null, fn, whileHidden, missed}
const statusListeners = new Set();
let source = null;
let wanted = false;
let retryMs = RETRY_MIN_MS;
let retryTimer = null;
let status = 'off'; // off | connecting | live | reconnecting
let lostEvents = false;

function setStatus(next) {
  if (status === next) return;
  status = next;
  for (const fn of statusListeners) fn(status);
}

function deliver(type, event) {
  const hidden = document.visibilityState === 'hidden';
  for (const s of [...subscribers]) {
    if (s.types && !s.types.has(type)) continue;
    if (hidden && !s.whileHidden) {
      // a hidden page asks the server nothing: it resynchronises once when it is shown again
      s.missed = true;
      continue;
    }
    try {
      s.fn(event, type);
    } catch (e) {
      console.error(e);
    }
  }
}

function open() {
  clearTimeout(retryTimer);
  retryTimer = null;
  setStatus(status === 'off' ? 'connecting' : 'reconnecting');
  const es = new EventSource('/api/v1/events', { withCredentials: true });
  source = es;
  es.onopen = () => {
    retryMs = RETRY_MIN_MS;
    setStatus('live');
    if (lostEvents) {
      lostEvents = false;
      deliver(RESYNC, { type: RESYNC, at: new Date().toISOString() });
    }
  };
  const handle = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch (e) {
      return; // not ours: ignore rather than break the stream
    }
    const type = event && event.type ? event.type : message.type;
    deliver(type, event);
  };
  for (const type of EVENT_TYPES) es.addEventListener(type, handle);
  es.onmessage = handle;
  es.onerror = () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CONNECTING) {
      // the browser retries by itself and resumes with Last-Event-ID
      setStatus('reconnecting');
      return;
    }
    // closed for good: a new stream later, and whoever shows data reloads it once it is up
    es.close();
    source = null;
    lostEvents = true;
    setStatus('reconnecting');
    if (wanted) {
      retryTimer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    }
  };
}

// A page the browser keeps in its back/forward cache would keep its stream, and so one of the six connections a
// browser allows per server: after a few navigations every request of the page shown would wait. The stream
// closes when the page is hidden that way and opens again (reloading what it shows) if it comes back.
window.addEventListener('pagehide', () => {
  if (source) {
    source.close();
    source = null;
  }
  clearTimeout(retryTimer);
  retryTimer = null;
});
window.addEventListener('pageshow', (event) => {
  if (event.persisted && wanted && !source) {
    lostEvents = true;
    open();
  }
});

// Shown again: every subscriber that missed events while the page was hidden reloads once (not once per event).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') return;
  const resync = { type: RESYNC, at: new Date().toISOString() };
  for (const s of [...subscribers]) {
    if (!s.missed) continue;
    s.missed = false;
    try {
      s.fn(resync, RESYNC);
    } catch (e) {
      console.error(e);
    }
  }
});

/** Opens the stream (after login); does nothing when it is already open. */
export function startLive() {
  wanted = true;
  if (!source && !retryTimer) open();
}

/** Closes the stream (at logout). */
export function stopLive() {
  wanted = false;
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) source.close();
  source = null;
  lostEvents = false;
  setStatus('off');
}

/**
 * Calls fn(event, type) for every event of the given types (null: all), and with type RESYNC after a reconnect
 * that may have lost events. While the document is hidden, events are held back: the subscriber gets one RESYNC
 * when it is shown again (so a background tab sends no requests), unless options.whileHidden is set (for
 * subscribers that only update what they show from the event itself, or handle visibility themselves).
 * Returns the function that unsubscribes (hand it to ctx.onLeave).
 */
export function onEvents(types, fn, options = {}) {
  const s = { types: types ? new Set([...types, RESYNC]) : null, fn, whileHidden: !!options.whileHidden, missed: false };
  subscribers.add(s);
  return () => subscribers.delete(s);
}

/** Calls fn(status) now and whenever the stream's status changes; returns the unsubscribe function. */
export function onLiveStatus(fn) {
  statusListeners.add(fn);
  fn(status);
  return () => statusListeners.delete(fn);
}

/**
 * A function that runs `fn` at most once per `ms`, trailing: a burst of events (a rollout moving hundreds of
 * agents) causes one reload, not hundreds.
 */
export function debounced(fn, ms = 1000) {
  let timer = null;
  const run = () => {
    timer = null;
    fn();
  };
  const trigger = () => {
    if (!timer) timer = setTimeout(run, ms);
  };
  trigger.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return trigger;
}
