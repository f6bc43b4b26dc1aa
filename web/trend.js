// Trend: KK served and packages received over time for one area, from
// /api/v1/bansos/trend (the delivery and hand-out records summed per day, running totals).
//
// Drawn with uPlot (≈ 20 kB gzipped, canvas), loaded on first use so it is not on the map's
// first-paint path. A chart is redrawn only when its area or the area's `updated_at` changes,
// so the page's polling costs one small conditional request at most.

const UPLOT = '/node_modules/uplot/dist/uPlot.esm.js';
const UPLOT_CSS = '/node_modules/uplot/dist/uPlot.min.css';
let uplot = null;

function loadUPlot() {
  if (!uplot) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = UPLOT_CSS;
    document.head.append(link);
    uplot = import(UPLOT).then((m) => m.default);
  }
  return uplot;
}

const num = new Intl.NumberFormat('id-ID');
const day = new Intl.DateTimeFormat('id-ID', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const DAY_S = 86_400;

/** Seconds since the epoch of a `YYYY-MM-DD` date (UTC midnight, so labels never shift a day). */
const epoch = (d) => Date.parse(`${d}T00:00:00Z`) / 1000;

/**
 * Columns for uPlot: a zero point the day before the first record (so a single day still draws a
 * rise from nothing), then each day's running totals, then today's level held flat.
 */
export function columns(days, today = new Date().toISOString().slice(0, 10)) {
  const xs = [];
  const kk = [];
  const pk = [];
  if (!days.length) return [xs, kk, pk];
  xs.push(epoch(days[0].date) - DAY_S); kk.push(0); pk.push(0);
  for (const d of days) {
    xs.push(epoch(d.date)); kk.push(d.kk_served_total); pk.push(d.packages_received_total);
  }
  const last = days[days.length - 1];
  if (today > last.date) {
    xs.push(epoch(today)); kk.push(last.kk_served_total); pk.push(last.packages_received_total);
  }
  return [xs, kk, pk];
}

/** What each chart host shows now: "area|stamp", so a poll with nothing new does nothing. */
const shown = new WeakMap();
/** The uPlot instance in each host, destroyed before the next one (it listens on the window). */
const charts = new WeakMap();

function clear(host) {
  charts.get(host)?.destroy();
  charts.delete(host);
  host.replaceChildren();
}

/**
 * Draws the trend of `area` into `host` (a `[data-testid=trend]` element) unless it already shows
 * that area at `stamp` (the area's `updated_at`). Sets data-area, data-days and data-served-total
 * (the last running total of KK served: the panel's "KK terlayani") for tests and screen readers.
 */
export async function renderTrend(host, area, stamp) {
  const key = `${area}|${stamp ?? ''}`;
  if (shown.get(host) === key) return;
  shown.set(host, key);
  let body;
  try {
    const res = await fetch(`/api/v1/bansos/trend?area=${encodeURIComponent(area)}`, { cache: 'no-cache', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.json();
  } catch (err) {
    shown.delete(host);
    clear(host);
    host.textContent = `Tren tidak dapat dimuat (${err.message}).`;
    return;
  }
  if (shown.get(host) !== key) return; // another area was asked for meanwhile
  const days = body.days || [];
  const last = days[days.length - 1];
  host.dataset.area = body.area;
  host.dataset.days = String(days.length);
  host.dataset.servedTotal = String(last ? last.kk_served_total : 0);
  host.setAttribute('aria-label', last
    ? `Tren ${body.nama}: ${num.format(last.kk_served_total)} KK terlayani dan ${num.format(last.packages_received_total)} paket diterima sampai ${day.format(new Date(epoch(last.date) * 1000))}, ${days.length} hari dengan penyaluran`
    : `Tren ${body.nama}: belum ada penyaluran`);
  if (!last) {
    clear(host);
    host.textContent = 'Belum ada penyaluran.';
    return;
  }
  const UPlot = await loadUPlot();
  if (shown.get(host) !== key) return;
  const width = Math.max(240, Math.min(host.clientWidth || 320, 420));
  const fmtAxis = (u, vals) => vals.map((v) => (v >= 1e6 ? `${num.format(v / 1e6)} jt` : v >= 1e3 ? `${num.format(v / 1e3)} rb` : num.format(v)));
  const opts = {
    width,
    height: 150,
    legend: { show: false },
    cursor: { y: false, points: { size: 6 } },
    scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.05)] } },
    axes: [
      { values: (u, vals) => vals.map((v) => day.format(new Date(v * 1000))), size: 28, font: '11px system-ui, sans-serif', grid: { stroke: '#eef0f3' } },
      { values: fmtAxis, size: 44, font: '11px system-ui, sans-serif', grid: { stroke: '#eef0f3' } },
    ],
    series: [
      {},
      { label: 'KK terlayani', stroke: '#253494', width: 2, fill: 'rgba(37,52,148,0.12)', paths: UPlot.paths.stepped({ align: 1 }) },
      { label: 'Paket diterima', stroke: '#8f8a82', width: 1.5, dash: [4, 3], paths: UPlot.paths.stepped({ align: 1 }) },
    ],
  };
  clear(host);
  // uPlot draws on a canvas: the aria-label above is the chart's text for screen readers.
  charts.set(host, new UPlot(opts, columns(days), host));
}
