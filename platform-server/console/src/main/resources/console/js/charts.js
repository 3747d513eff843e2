// Charts with a table view: every chart is drawn by Chart.js (served by this server from its WebJar, loaded on the
// first page that needs it) and comes with the same numbers as a table. The table is always in the page for
// screen readers (the canvas is hidden from them) and a toggle shows it to everyone; when Chart.js cannot load,
// the tables are shown instead.

import { h } from './dom.js';
import { uid } from './forms.js';

const CHART_JS = '/vendor/chart.js/chart.umd.min.js';

let loading = null;

/** Loads Chart.js once (a classic script from this origin, as the Content-Security-Policy allows); resolves to it. */
export function loadChartJs() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = h('script', { src: CHART_JS, async: true });
      script.addEventListener('load', () => (window.Chart ? resolve(window.Chart) : reject(new Error('Chart.js did not load'))));
      script.addEventListener('error', () => {
        loading = null;
        script.remove();
        reject(new Error(`could not load ${CHART_JS}`));
      });
      document.head.append(script);
    });
  }
  return loading;
}

/** Colours for series, readable on white and distinct for the common colour-vision deficiencies. */
export const PALETTE = ['#2563eb', '#16794a', '#b42318', '#8a5a00', '#7c3aed', '#0e7490', '#be185d', '#4d7c0f', '#64748b', '#c2410c'];

export const STATUS_COLOURS = {
  succeeded: '#16794a', up_to_date: '#4d7c0f', failed: '#b42318', rolled_back: '#be185d', cancelled: '#8a5a00',
  skipped: '#a16207', downloading: '#2563eb', staging: '#0e7490', applying: '#7c3aed', restarting: '#6d28d9',
  checking: '#3b82f6', pending: '#64748b',
};

/**
 * A card with a chart and its table view. spec: {title, testid, columns: [header…], rows: [[cell…]…],
 * chart: (Chart) => config | null, empty: text when there are no rows, caption}. The table carries
 * data-testid `${testid}-table`; the toggle `${testid}-toggle`. `shown` is the set of testids whose table the user
 * opened (kept across rebuilds). Returns {el, chart} (chart: the Chart instance to destroy, or null).
 */
function chartCard(spec, Chart, shown) {
  const tableId = uid('chart-table');
  const table = h('table', { class: 'data chart-table', id: tableId, testid: `${spec.testid}-table` },
    h('caption', { class: 'visually-hidden' }, spec.caption || spec.title),
    h('thead', {}, h('tr', {}, spec.columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, spec.rows.length
      ? spec.rows.map((r) => h('tr', {}, r.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, cell) : h('td', { class: 'num' }, cell)))))
      : h('tr', { class: 'empty' }, h('td', { colspan: spec.columns.length }, spec.empty || 'No data.'))));
  const open = !Chart || shown.has(spec.testid);
  const wrapper = h('div', { class: open ? 'chart-table-wrap' : 'chart-table-wrap visually-hidden' }, table);
  const toggle = h('button', {
    type: 'button', class: 'small ghost', testid: `${spec.testid}-toggle`, 'aria-controls': tableId,
    'aria-pressed': String(open), hidden: !Chart,
  }, open ? 'Hide table' : 'Show table');
  toggle.addEventListener('click', () => {
    const nowOpen = wrapper.classList.contains('visually-hidden');
    wrapper.classList.toggle('visually-hidden', !nowOpen);
    toggle.textContent = nowOpen ? 'Hide table' : 'Show table';
    toggle.setAttribute('aria-pressed', String(nowOpen));
    if (nowOpen) shown.add(spec.testid);
    else shown.delete(spec.testid);
  });
  let canvasBox = null;
  let chart = null;
  const config = Chart && spec.rows.length ? spec.chart(Chart) : null;
  if (config) {
    // the table says the same to screen readers; the canvas is a picture of it
    const canvas = h('canvas', { 'aria-hidden': 'true', testid: `${spec.testid}-canvas` });
    canvasBox = h('div', { class: 'chart-box' }, canvas);
    config.options = {
      responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}),
    };
    chart = new Chart(canvas, config);
  }
  const el = h('section', { class: 'card chart-card', testid: spec.testid },
    h('div', { class: 'chart-head' }, h('h2', {}, spec.title), toggle),
    spec.lead || null,
    canvasBox,
    wrapper);
  return { el, chart };
}

/**
 * The cards of a page across its refreshes. A card whose numbers did not change is kept as it is (its chart, its
 * open table, where a screen reader is in it, the focus); a changed one is built anew and its old chart destroyed.
 * A refresh: begin(), card()/part() for each, end().
 */
export class ChartCards {
  constructor(Chart) {
    this.Chart = Chart;
    this.shown = new Set();
    this.kept = new Map(); // key → {sig, el, chart}
    this.next = new Map();
  }

  begin() {
    this.next = new Map();
  }

  /** Any part of the page by key: built by build() → element, unless the same signature was built last time. */
  part(key, signature, build) {
    const sig = JSON.stringify(signature);
    const old = this.kept.get(key);
    if (old && old.sig === sig) {
      this.kept.delete(key);
      this.next.set(key, old);
      return old.el;
    }
    const built = build();
    const entry = built && built.el ? { sig, ...built } : { sig, el: built, chart: null };
    this.next.set(key, entry);
    return entry.el;
  }

  /** A chart card (see chartCard), kept while its title, columns and rows stay the same. */
  card(spec) {
    return this.part(spec.testid, [spec.title, spec.columns, spec.rows], () => chartCard(spec, this.Chart, this.shown));
  }

  end() {
    this.destroy();
    this.kept = this.next;
    this.next = new Map();
  }

  /** Destroys the charts of the cards not kept (all of them, when the page is left). */
  destroy() {
    for (const entry of this.kept.values()) {
      if (entry.chart) entry.chart.destroy();
    }
    this.kept.clear();
  }
}

/**
 * Makes parent's children exactly `children` (nulls left out), moving only what changed: a node already in its
 * place is not touched, so focus and a screen reader's position inside it survive a refresh.
 */
export function reconcile(parent, children) {
  const wanted = children.flat().filter((c) => c !== null && c !== undefined && c !== false);
  wanted.forEach((child, i) => {
    if (parent.childNodes[i] !== child) parent.insertBefore(child, parent.childNodes[i] || null);
  });
  while (parent.childNodes.length > wanted.length) parent.lastChild.remove();
}

/** A bar chart config of one series. */
export function bars(labels, values, label, colours) {
  return {
    type: 'bar',
    data: { labels, datasets: [{ label, data: values, backgroundColor: colours || PALETTE[0] }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  };
}

/** A stacked bar chart config of several series over the same labels. */
export function stacked(labels, series) {
  return {
    type: 'bar',
    data: { labels, datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: s.colour || PALETTE[i % PALETTE.length] })) },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  };
}
