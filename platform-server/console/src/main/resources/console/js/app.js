// The console shell: session, navigation (history API; the server answers index.html for every page path), the
// footer's server version. Each page is a module under views/ exporting render(root, ctx, params).

import { api, onUnauthorized, setCsrfToken } from './api.js';
import { h } from './dom.js';
import { notice } from './ui.js';
import { onLiveStatus, startLive, stopLive } from './live.js';
import { showNotificationToasts } from './toasts.js';
import * as dashboard from './views/dashboard.js';
import * as webhooks from './views/webhooks.js';
import * as login from './views/login.js';
import * as fleets from './views/fleets.js';
import * as fleet from './views/fleet.js';
import * as policy from './views/policy.js';
import * as plugins from './views/plugins.js';
import * as audit from './views/audit.js';
import * as tokens from './views/tokens.js';
import * as releases from './views/releases.js';
import * as releaseSources from './views/release-sources.js';
import * as signingKeys from './views/signing-keys.js';
import * as installers from './views/installers.js';
import * as agents from './views/agents.js';
import * as agent from './views/agent.js';
import * as rollouts from './views/rollouts.js';
import * as rollout from './views/rollout.js';
import * as rolloutNew from './views/rollout-new.js';
import * as server from './views/server.js';

const ROUTES = [
  { path: /^\/login$/, view: login, public: true },
  { path: /^\/$/, view: dashboard, nav: 'dashboard' },
  { path: /^\/dashboard$/, view: dashboard, nav: 'dashboard' },
  { path: /^\/settings\/webhooks$/, view: webhooks, nav: 'webhooks' },
  { path: /^\/fleets$/, view: fleets, nav: 'fleets' },
  { path: /^\/fleets\/([^/]+)$/, view: fleet, nav: 'fleets', params: ['fleetId'] },
  { path: /^\/fleets\/([^/]+)\/policy$/, view: policy, nav: 'fleets', params: ['fleetId'] },
  { path: /^\/fleets\/([^/]+)\/installers$/, view: installers, nav: 'installers', params: ['fleetId'] },
  { path: /^\/installers$/, view: { render: installers.renderIndex }, nav: 'installers' },
  { path: /^\/agents$/, view: agents, nav: 'agents' },
  { path: /^\/agents\/([^/]+)$/, view: agent, nav: 'agents', params: ['agentId'] },
  { path: /^\/rollouts$/, view: rollouts, nav: 'rollouts' },
  { path: /^\/rollouts\/new$/, view: rolloutNew, nav: 'rollouts' },
  { path: /^\/rollouts\/([^/]+)$/, view: rollout, nav: 'rollouts', params: ['rolloutId'] },
  { path: /^\/policy$/, view: policy, nav: 'policy' },
  { path: /^\/plugins$/, view: plugins, nav: 'plugins' },
  { path: /^\/audit$/, view: audit, nav: 'audit' },
  { path: /^\/tokens$/, view: tokens, nav: 'tokens' },
  { path: /^\/releases$/, view: releases, nav: 'releases' },
  { path: /^\/release-sources$/, view: releaseSources, nav: 'release-sources' },
  { path: /^\/signing-keys$/, view: signingKeys, nav: 'signing-keys' },
  { path: /^\/server$/, view: server, nav: 'server' },
];

const state = {
  session: null, // {username, csrf_token, expires_at} while logged in
  flash: null, // a notice shown once on the next page: {kind, text}
};

const main = document.getElementById('main');

function setSession(session) {
  state.session = session;
  setCsrfToken(session ? session.csrf_token : null);
  document.getElementById('user-name').textContent = session ? session.username : '';
  document.getElementById('user-box').hidden = !session;
  document.getElementById('nav').hidden = !session;
  if (session) startLive();
  else stopLive();
}

function currentPath() {
  return window.location.pathname + window.location.search;
}

export function navigate(path, { replace = false } = {}) {
  if (replace) {
    window.history.replaceState(null, '', path);
  } else if (path !== currentPath()) {
    window.history.pushState(null, '', path);
  }
  render();
}

function flash(kind, text) {
  state.flash = { kind, text };
}

function match(pathname) {
  for (const route of ROUTES) {
    const m = route.path.exec(pathname);
    if (m) {
      const params = {};
      (route.params || []).forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]);
      });
      return { route, params };
    }
  }
  return null;
}

function markNav(active) {
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.nav === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

let renderCount = 0;
// what the page shown now asked to run when the user leaves it (timers, document listeners): run before the next
// page renders, so a page that polls never keeps polling, or holding its nodes, after navigation
let leaveHandlers = [];

function leavePage() {
  const handlers = leaveHandlers;
  leaveHandlers = [];
  for (const handler of handlers) {
    try {
      handler();
    } catch (e) {
      console.error(e);
    }
  }
}

async function render() {
  const pathname = window.location.pathname;
  const found = match(pathname);
  if (found && found.route.redirect) {
    navigate(found.route.redirect, { replace: true });
    return;
  }
  if (found && !found.route.public && !state.session) {
    navigate(`/login?next=${encodeURIComponent(currentPath())}`, { replace: true });
    return;
  }
  if (found && found.route.view === login && state.session) {
    navigate('/', { replace: true });
    return;
  }
  leavePage();
  renderCount += 1;
  const thisRender = renderCount;
  // every page renders into a fresh element: a slow page that finishes after the user moved on writes into a
  // detached node, never over the page now shown
  const root = h('section', { class: 'page', 'data-page': found ? pathname.split('/')[1] || 'home' : 'not-found' });
  const messages = [];
  if (state.flash) {
    messages.push(notice(state.flash.kind, state.flash.text, 'flash'));
    state.flash = null;
  }
  main.replaceChildren(...messages, root);
  markNav(found ? found.route.nav : null);
  if (!found) {
    document.title = 'Not found · PrintMaster';
    root.append(h('h1', {}, 'Page not found'), h('p', {}, `There is no console page at ${pathname}.`));
    return;
  }
  const ctx = {
    session: state.session,
    navigate,
    flash,
    isCurrent: () => thisRender === renderCount,
    // runs fn when the user leaves this page (at once when they already have)
    onLeave: (fn) => {
      if (thisRender === renderCount) leaveHandlers.push(fn);
      else fn();
    },
    loggedIn: (session) => {
      setSession(session);
      const next = new URLSearchParams(window.location.search).get('next');
      // only paths of this console: never an absolute URL someone put in the link
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    },
  };
  try {
    await found.route.view.render(root, ctx, found.params);
  } catch (e) {
    if (e && e.status === 401) return; // the unauthorized handler has already moved to the login page
    root.append(notice('error', `This page failed: ${e && e.message ? e.message : e}`, 'page-error'));
    console.error(e);
  }
}

function interceptLinks(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest('a[data-link]');
  if (!a || a.target) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}

async function logout() {
  try {
    await api.post('/api/v1/auth/logout', {}, { expect401: true });
  } catch (e) {
    // already logged out on the server: nothing more to do
  }
  setSession(null);
  flash('info', 'You have logged out.');
  navigate('/login', { replace: true });
}

async function showVersion() {
  const target = document.getElementById('server-version');
  try {
    // read the body whatever the status: a server that is still starting answers 503 with its version and problems
    const response = await fetch('/api/v1/health', { cache: 'no-store', headers: { Accept: 'application/json' } });
    const health = await response.json();
    target.textContent = health.status === 'UP' ? `Server ${health.version}` : `Server ${health.version} (${health.status})`;
    target.title = health.problems && health.problems.length
      ? health.problems.join('\n')
      : `status ${health.status}, up ${health.uptime_seconds} s`;
    target.classList.toggle('down', health.status !== 'UP');
  } catch (e) {
    target.textContent = 'Server version unknown';
  }
}

async function start() {
  onUnauthorized(() => {
    if (!state.session) return;
    setSession(null);
    flash('warn', 'Your session has expired. Log in again.');
    navigate(`/login?next=${encodeURIComponent(currentPath())}`, { replace: true });
  });
  document.addEventListener('click', interceptLinks);
  window.addEventListener('popstate', render);
  document.getElementById('logout').addEventListener('click', logout);
  showVersion();
  showNotificationToasts();
  const liveStatus = document.getElementById('live-status');
  onLiveStatus((status) => {
    liveStatus.dataset.status = status;
    liveStatus.hidden = status === 'off';
    liveStatus.textContent = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…';
    liveStatus.title = status === 'live' ? 'Pages update as the server reports changes.'
      : 'The live update stream is not connected; it reconnects by itself.';
  });
  try {
    setSession(await api.get('/api/v1/auth/session', { expect401: true }));
  } catch (e) {
    setSession(null);
    if (e.status !== 401) flash('error', `Could not check the session: ${e.message}`);
  }
  render();
}

start();
