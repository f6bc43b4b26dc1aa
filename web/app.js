// Peta publik progres bansos DKI Jakarta.
//
// Geometry comes as vector tiles (sigap or martin, per /web-config.json); the numbers come
// as small JSON from /api/v1/bansos/progress and are joined to the tile features by their
// Kemendagri code through feature-state, so a new delivery only changes a few bytes of JSON
// and never a tile. The page polls that JSON so a delivery shows without a reload.
import * as maplibregl from '/node_modules/maplibre-gl/dist/maplibre-gl.mjs';
import { renderTrend } from '/trend.js';
import { renderTable, setupTable } from '/table.js';
import { pointLayerIds, setupLayers } from '/layers.js';

const POLL_MS = Number(new URLSearchParams(location.search).get('poll')) || 5000;
const DEFAULT_TILE_URL = '/tiles/{layer}/{z}/{x}/{y}.mvt';
/** Mainland Jakarta; Kepulauan Seribu lies far north and would shrink the first view to sea. */
const JAKARTA = [[106.68, -6.38], [106.98, -6.08]];
const MONAS = [106.8272, -6.1754];

/**
 * Administrative levels, coarse to fine. `min`/`max` is the zoom range in which the level is
 * the choropleth; `src` bounds the tile requests (finer levels are useless when zoomed out,
 * and past `src.maxzoom` MapLibre over-zooms the last tiles instead of asking for more).
 */
const LEVELS = [
  { id: 'kota', label: 'Kota administrasi', per: 'per kota administrasi', min: 0, max: 11, go: 10.4, src: { minzoom: 4, maxzoom: 12 } },
  { id: 'kecamatan', label: 'Kecamatan', per: 'per kecamatan', min: 11, max: 12.5, go: 11.8, src: { minzoom: 8, maxzoom: 14 } },
  { id: 'kelurahan', label: 'Kelurahan', per: 'per kelurahan', min: 12.5, max: 14.5, go: 13.4, src: { minzoom: 10, maxzoom: 16 } },
  { id: 'rw', label: 'RW', per: 'per RW', min: 14.5, max: 24, go: 15.3, src: { minzoom: 12, maxzoom: 16 } },
];
const LEVEL_BY_ID = Object.fromEntries(LEVELS.map((l) => [l.id, l]));
/** A code's level follows from its number of dot-separated parts (31.71 / 31.71.01 / ...). */
const LEVEL_BY_PARTS = { 2: 'kota', 3: 'kecamatan', 4: 'kelurahan', 5: 'rw' };

/**
 * Percent served in 5 classes of ColorBrewer's YlGnBu (sequential, colour-blind safe, readable
 * in greyscale). The breaks are the quintiles of the level on screen, rounded to whole percent
 * and written in the legend: the five kota lie between 29 % and 57 %, and a fixed 0–100 % scale
 * drew them in near-identical teal. "Tanpa target" is a neutral grey with no hue, unlike any class.
 */
const CLASS_COLORS = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
const DEFAULT_BREAKS = [20, 40, 60, 80];
const NO_DATA = '#b4b4b4';
/** Class breaks per level, from the numbers loaded (see `updateBreaks`). */
const breaks = {};
const GENERATED = 'data contoh (dibangkitkan)';
/** Where the real RW come from (data/wilayah/rw-2012/SOURCE.md); the tiles mark the others `generated`. */
const RW_SOURCE = 'RW Jakarta 2012 (© kontributor OpenStreetMap via InaSAFE, ODbL; sumber belum diverifikasi)';

const num = new Intl.NumberFormat('id-ID');
const pct = new Intl.NumberFormat('id-ID', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const pct0 = new Intl.NumberFormat('id-ID', { style: 'percent' });
const clock = new Intl.DateTimeFormat('id-ID', { timeStyle: 'medium' });
const when = new Intl.DateTimeFormat('id-ID', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' });
/** A record's write time (`updated_at`) in Jakarta time, or "belum ada" for an area never written. */
const fmtWhen = (iso) => (iso ? `${when.format(new Date(iso))} WIB` : 'belum ada');

const $ = (id) => document.getElementById(id);
/** Writes only changed text, so the polite live region announces real changes, not every poll. */
function setText(el, text) {
  const node = typeof el === 'string' ? $(el) : el;
  if (node.textContent !== text) node.textContent = text;
}
const fmtNum = (v) => (Number.isFinite(v) ? num.format(v) : '–');
const fmtPct = (v) => (Number.isFinite(v) ? pct.format(v / 100) : '–');
const levelOf = (kode) => LEVEL_BY_PARTS[kode.split('.').length];
const parentOf = (kode) => kode.split('.').slice(0, -1).join('.');
const ancestorOf = (kode, level) => kode.split('.').slice(0, LEVELS.findIndex((l) => l.id === level) + 2).join('.');
const shortName = (nama) => nama.replace(/^(Kota|Kabupaten) Administrasi /, '');

/** Percent served, from the API when it gives one, else computed; null when there is no target. */
function percentOf(a) {
  if (Number.isFinite(a?.percent)) return a.percent;
  if (a && a.target_kk > 0) return (a.served_kk / a.target_kk) * 100;
  return null;
}

/** Up to 4 ascending whole-percent breaks: the quintiles of `values`, duplicates dropped. */
function quintileBreaks(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length < 2) return DEFAULT_BREAKS;
  const out = [];
  for (const q of [0.2, 0.4, 0.6, 0.8]) {
    const b = Math.round(v[Math.min(v.length - 1, Math.floor(q * v.length))]);
    if (b > Math.round(v[0]) && b <= Math.round(v[v.length - 1]) && !out.includes(b)) out.push(b);
  }
  return out.length ? out : DEFAULT_BREAKS;
}

/** The colour of class i of k + 1 classes, spread over the 5 colours. */
const classColor = (i, k) => CLASS_COLORS[k ? Math.round((i * 4) / k) : 0];

/** The class colour of a percent under a level's breaks (kota bars, legend), as on the map. */
function colorFor(p, level = 'kota') {
  if (!Number.isFinite(p)) return NO_DATA;
  const br = breaks[level] || DEFAULT_BREAKS;
  return classColor(br.filter((b) => p >= b).length, br.length);
}

// ---------------------------------------------------------------- progress data

/** Last response per "level|parent" key. */
const progress = new Map();
let lastError = null;

async function fetchProgress(key) {
  const [level, parent] = key.split('|');
  const q = new URLSearchParams({ level });
  if (parent) q.set('parent', parent);
  // no-cache: revalidate every time (cheap with an ETag), never show a stale number.
  const res = await fetch(`/api/v1/bansos/progress?${q}`, { cache: 'no-cache', headers: { accept: 'application/json' } });
  if (!res.ok) {
    let detail = '';
    try { detail = (await res.json()).detail || ''; } catch { /* not problem+json */ }
    throw new Error(`progres ${level}${parent ? ` ${parent}` : ''}: HTTP ${res.status} ${detail}`.trim());
  }
  const body = await res.json();
  progress.set(key, { level, parent: parent || null, generated: !!body.generated, areas: body.areas || {} });
  return key;
}

/** The numbers of one area, from whichever response holds it. */
function areaData(kode) {
  const level = levelOf(kode);
  const keys = level === 'rw' ? [`rw|${parentOf(kode)}`, 'rw|'] : [`${level}|`];
  for (const k of keys) {
    const a = progress.get(k)?.areas?.[kode];
    if (a) return { ...a, generated: progress.get(k).generated };
  }
  return null;
}

// ---------------------------------------------------------------- map

let map;
let selected = null; // { kode, level, nama, generated }
let hovered = null; // { source, id }
let refreshing = null;
let refreshAgain = false;
let readyResolve;
/** False until the map's first complete frame: the trend charts (uPlot) wait for it, off the first-paint path. */
let painted = false;
window.sigapReady = new Promise((resolve) => { readyResolve = resolve; });

function levelAtZoom(z) {
  return LEVELS.find((l) => z >= l.min && z < l.max) || LEVELS[LEVELS.length - 1];
}

function tileUrl(template, layer) {
  const t = template.replaceAll('{layer}', layer);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) return t;
  // Tiles are fetched by a worker, so they need an absolute URL.
  return location.origin + (t.startsWith('/') ? t : `/${t}`);
}

async function loadConfig() {
  try {
    // Default cache mode, so the response index.html preloads (<link rel=preload>) is the one used.
    const res = await fetch('/web-config.json');
    if (res.ok) return await res.json();
  } catch { /* served without sigap (static server): use the defaults */ }
  return {};
}

function percentExpr(br = DEFAULT_BREAKS) {
  const p = ['feature-state', 'percent'];
  const step = ['step', p, classColor(0, br.length), ...br.flatMap((b, i) => [b, classColor(i + 1, br.length)])];
  return ['case', ['==', ['typeof', p], 'number'], step, NO_DATA];
}

/**
 * The choropleth's opacity: enough to read the class colour, little enough that the streets
 * and the coast of the basemap show through it.
 */
const FILL_OPACITY = 0.74;

/** Road width in px per class at zoom 10 and 16 (interpolated exponentially in between). */
const ROAD_WIDTH = {
  motorway: [1.4, 7], trunk: [1.3, 6.5], primary: [1.1, 6], secondary: [0, 5], tertiary: [0, 4],
  residential: [0, 2.6], unclassified: [0, 2.6], living_street: [0, 2.2], service: [0, 1.6], path: [0, 1], other: [0, 2],
};

/**
 * The offline basemap served by sigap itself (/tiles/basemap: sea, land, roads from OSM 2012,
 * and the label points; always sigap's own tiles, martin serves only the boundary layers),
 * styled quietly: outside DKI a neutral grey, the sea pale blue, land paper-white, roads grey
 * lines that stay readable through the choropleth above them.
 */
function offlineBasemap() {
  const width = (i, other) => ['match', ['get', 'class'], ...Object.entries(ROAD_WIDTH).flatMap(([c, w]) => [c, w[i]]), other];
  const major = ['match', ['get', 'class'], ['motorway', 'trunk', 'primary'], true, false];
  return [
    { id: 'background', type: 'background', paint: { 'background-color': '#e6e4df' } },
    { id: 'sea', type: 'fill', source: 'basemap', 'source-layer': 'sea', paint: { 'fill-color': '#c4d9e4' } },
    { id: 'land', type: 'fill', source: 'basemap', 'source-layer': 'land', paint: { 'fill-color': '#f7f5f0' } },
    { id: 'coast', type: 'line', source: 'basemap', 'source-layer': 'land', paint: { 'line-color': '#8fb3c7', 'line-width': 0.8 } },
    {
      id: 'roads', type: 'line', source: 'basemap', 'source-layer': 'roads',
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-color': ['case', major, '#6f6a62', '#8f8a82'],
        'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 10, width(0, 0.5), 16, width(1, 2)],
        'line-opacity': ['interpolate', ['linear'], ['zoom'], 10, 0.55, 14, 0.7],
      },
    },
  ];
}

const HALO = { 'text-halo-color': 'rgba(255,255,255,0.92)', 'text-halo-width': 1.6, 'text-halo-blur': 0.3 };
/** Label size and font per level: coarse levels bold and larger. */
const LABEL = {
  kota: { size: 15, font: 'Noto Sans Bold' },
  kecamatan: { size: 13.5, font: 'Noto Sans Bold' },
  kelurahan: { size: 12.5, font: 'Noto Sans Regular' },
  rw: { size: 11.5, font: 'Noto Sans Regular' },
};

/**
 * Names: each level's areas labelled at the zooms where that level is the choropleth (points
 * from the basemap's `places` layer, one per area), and street names along the roads from z13
 * (arterials from z12). MapLibre's collision detection drops labels that would overlap; area
 * labels win over street names (drawn later, so placed first).
 */
function labelLayers() {
  const roads = {
    id: 'road-label', type: 'symbol', source: 'basemap', 'source-layer': 'roads', minzoom: 12,
    filter: ['all', ['has', 'name'], ['any', ['>=', ['zoom'], 13], ['match', ['get', 'class'], ['motorway', 'trunk', 'primary'], true, false]]],
    layout: {
      'symbol-placement': 'line', 'text-field': ['get', 'name'], 'text-font': ['Noto Sans Regular'],
      'text-size': ['interpolate', ['linear'], ['zoom'], 12, 10, 16, 12.5], 'text-max-angle': 30, 'symbol-spacing': 320,
    },
    paint: { 'text-color': '#4a4640', ...HALO },
  };
  const areas = LEVELS.map((l) => ({
    id: `${l.id}-label`, type: 'symbol', source: 'basemap', 'source-layer': 'places', minzoom: l.min, maxzoom: l.max,
    filter: ['==', ['get', 'level'], l.id],
    layout: {
      'text-field': ['get', 'label'], 'text-font': [LABEL[l.id].font], 'text-size': LABEL[l.id].size,
      'text-max-width': 8, 'text-padding': 4, 'text-letter-spacing': l.id === 'kota' ? 0.04 : 0,
    },
    paint: { 'text-color': '#14181d', ...HALO },
  }));
  return [roads, ...areas];
}

function buildStyle(config) {
  const sources = {};
  const layers = [];
  const basemap = config.basemap;
  sources.basemap = {
    type: 'vector',
    tiles: [tileUrl('/tiles/{layer}/{z}/{x}/{y}.mvt', 'basemap')],
    minzoom: 8,
    maxzoom: 16,
    attribution: 'Jalan © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL, 2012)',
  };
  if (basemap) {
    const b = typeof basemap === 'string' ? { tiles: [basemap] } : basemap;
    sources.raster = { type: 'raster', tiles: b.tiles, tileSize: b.tileSize || 256, attribution: b.attribution || '' };
    layers.push({ id: 'background', type: 'background', paint: { 'background-color': '#f2efe9' } });
    layers.push({ id: 'raster', type: 'raster', source: 'raster' });
  } else {
    layers.push(...offlineBasemap());
  }

  for (const l of LEVELS) {
    sources[l.id] = {
      type: 'vector',
      tiles: [tileUrl(config.tile_url || DEFAULT_TILE_URL, l.id)],
      minzoom: l.src.minzoom,
      maxzoom: l.src.maxzoom,
      promoteId: 'kode',
      attribution: l.id === 'rw'
        ? `Batas RW: ${RW_SOURCE}; Kepulauan Seribu dan kelurahan tanpa RW 2012: ${GENERATED}`
        : 'Batas wilayah: Kemendagri via cahyadsn/wilayah (MIT)',
    };
  }
  for (const l of LEVELS) {
    layers.push({
      id: `${l.id}-fill`, type: 'fill', source: l.id, 'source-layer': l.id, minzoom: l.min, maxzoom: l.max,
      paint: { 'fill-color': percentExpr(), 'fill-opacity': FILL_OPACITY },
    });
  }
  // Own boundaries thin and white; one level further in they become the darker parent outline.
  LEVELS.forEach((l, i) => {
    const next = LEVELS[i + 1];
    layers.push({
      id: `${l.id}-line`, type: 'line', source: l.id, 'source-layer': l.id, minzoom: l.min, maxzoom: next ? next.max : 24,
      layout: { 'line-join': 'round' },
      paint: next
        ? {
          'line-color': ['step', ['zoom'], '#ffffff', next.min, '#3b4a5a'],
          'line-width': ['step', ['zoom'], 0.7, next.min, 1.3],
          'line-opacity': ['step', ['zoom'], 0.9, next.min, 0.55],
        }
        : { 'line-color': '#ffffff', 'line-width': 0.8, 'line-opacity': 0.9 },
    });
  });
  // Generated RW (Kepulauan Seribu, kelurahan without 2012 RW) dashed, so they read apart from real ones.
  layers.push({
    id: 'rw-generated-line', type: 'line', source: 'rw', 'source-layer': 'rw', minzoom: LEVEL_BY_ID.rw.min,
    filter: ['==', ['get', 'generated'], true], paint: { 'line-color': '#3b4a5a', 'line-width': 1.5, 'line-dasharray': [2, 2] },
  });
  for (const l of LEVELS) {
    layers.push({
      id: `${l.id}-hl`, type: 'line', source: l.id, 'source-layer': l.id, minzoom: l.min,
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': ['case', ['boolean', ['feature-state', 'selected'], false], '#d9480f', '#1b1f24'],
        'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 3.2, 2],
        'line-opacity': ['case',
          ['boolean', ['feature-state', 'selected'], false], 1,
          ['boolean', ['feature-state', 'hover'], false], 0.9, 0],
      },
    });
  }
  layers.push(...labelLayers());
  // Glyphs rendered from Noto Sans at setup (scripts/web-setup.sh → web/glyphs), served by sigap.
  return { version: 8, sources, layers, glyphs: `${location.origin}/glyphs/{fontstack}/{range}.pbf` };
}

function currentLevel() {
  return levelAtZoom(map.getZoom()).id;
}

/** Kelurahan whose RWs are on screen: the RW numbers are asked for per kelurahan. */
function visibleKelurahan() {
  const codes = new Set();
  for (const f of map.queryRenderedFeatures({ layers: ['rw-fill', 'kelurahan-line'] })) {
    const kode = f.properties?.kode;
    if (typeof kode === 'string' && kode.split('.').length >= 4) codes.add(ancestorOf(kode, 'kelurahan'));
  }
  return [...codes].sort();
}

function wantedKeys() {
  const keys = new Set(['provinsi|', 'kota|']);
  const level = currentLevel();
  if (level === 'rw') {
    const kels = visibleKelurahan();
    if (kels.length > 24) keys.add('rw|');
    else kels.forEach((k) => keys.add(`rw|${k}`));
  } else {
    keys.add(`${level}|`);
  }
  if (selected) {
    for (const l of LEVELS) {
      if (l.id === 'rw' || LEVELS.indexOf(l) > LEVELS.indexOf(LEVEL_BY_ID[selected.level])) break;
      keys.add(`${l.id}|`);
    }
    if (selected.level === 'kelurahan') keys.add(`rw|${selected.kode}`);
    if (selected.level === 'rw') keys.add(`rw|${parentOf(selected.kode)}`);
  }
  return [...keys];
}

/**
 * Fetch what the view needs, then repaint; concurrent calls coalesce into one more round.
 * `onlyMissing`: fetch only what no answer is held for yet (the first paint, after the start-up
 * prefetch); polls revalidate everything (cheap: ETag).
 */
function refresh(onlyMissing = false) {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      const keys = wantedKeys();
      const results = await Promise.allSettled(keys.filter((k) => !onlyMissing || !progress.has(k)).map(fetchProgress));
      const failed = results.filter((r) => r.status === 'rejected');
      lastError = failed.length ? failed[0].reason.message : null;
      applyFeatureState(keys);
      render();
    } while (refreshAgain);
  })().finally(() => { refreshing = null; });
  return refreshing;
}

function applyFeatureState(keys) {
  for (const key of keys) {
    const p = progress.get(key);
    if (!p || !LEVEL_BY_ID[p.level]) continue;
    for (const [kode, a] of Object.entries(p.areas)) {
      map.setFeatureState({ source: p.level, sourceLayer: p.level, id: kode }, { percent: percentOf(a) });
    }
  }
}

function setHover(source, id) {
  if (hovered && (hovered.source !== source || hovered.id !== id)) {
    map.setFeatureState({ source: hovered.source, sourceLayer: hovered.source, id: hovered.id }, { hover: false });
    hovered = null;
  }
  if (source && id) {
    hovered = { source, id };
    map.setFeatureState({ source, sourceLayer: source, id }, { hover: true });
  }
}

function select(kode, nama, generated = false) {
  if (selected) {
    map.setFeatureState({ source: selected.level, sourceLayer: selected.level, id: selected.kode }, { selected: false });
  }
  selected = kode ? { kode, level: levelOf(kode), nama, generated } : null;
  if (selected) {
    map.setFeatureState({ source: selected.level, sourceLayer: selected.level, id: kode }, { selected: true });
  }
  renderPanel();
  if (selected) $('side').scrollTo({ top: 0, behavior: 'smooth' });
  return refresh();
}

/** Bounds of an area from the tiles already loaded (clipped pieces together cover it). */
function loadedBounds(kode) {
  const level = levelOf(kode);
  const b = new maplibregl.LngLatBounds();
  for (const f of map.querySourceFeatures(level, { sourceLayer: level, filter: ['==', ['get', 'kode'], kode] })) {
    const walk = (c) => (typeof c[0] === 'number' ? b.extend(c) : c.forEach(walk));
    walk(f.geometry.coordinates);
  }
  return b.isEmpty() ? null : b;
}

function zoomToArea(kode) {
  const b = loadedBounds(kode);
  if (b) {
    map.fitBounds(b, { padding: 40, maxZoom: LEVEL_BY_ID[levelOf(kode)].go + 1 });
  } else {
    map.fitBounds(JAKARTA, { padding: 20 });
    map.once('idle', () => { const b2 = loadedBounds(kode); if (b2) map.fitBounds(b2, { padding: 40 }); });
  }
}

// ---------------------------------------------------------------- search

const SEARCH_DEBOUNCE_MS = 250;

/**
 * The search box: asks /api/v1/search (an FST index over the atlas names: typo-tolerant,
 * abbreviations like "kb kacang", or a coordinate) 250 ms after the last keystroke, shows the
 * hits as a listbox (arrow keys, Enter, Escape), and flies to the chosen area at the zoom where
 * its level is drawn, with its numbers open in the panel.
 */
function setupSearch() {
  const form = $('search');
  const input = $('search-input');
  const list = $('search-results');
  let timer;
  let seq = 0;
  let hits = [];
  let active = -1;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  };
  const mark = (i) => {
    active = i;
    list.querySelectorAll('li[role="option"]').forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', `search-hit-${i}`);
  };
  const show = (results) => {
    hits = results;
    active = -1;
    if (!results.length) {
      const li = document.createElement('li');
      li.className = 'none';
      li.textContent = 'Tidak ditemukan';
      list.replaceChildren(li);
    } else {
      list.replaceChildren(...results.map((h, i) => {
        const li = document.createElement('li');
        li.id = `search-hit-${i}`;
        li.setAttribute('role', 'option');
        li.dataset.kode = h.kode;
        li.dataset.testid = 'search-hit';
        const name = document.createElement('strong');
        name.textContent = h.level === 'kota' ? shortName(h.nama) : h.nama;
        const lvl = document.createElement('span');
        lvl.className = 'lvl';
        lvl.textContent = ` · ${LEVEL_BY_ID[h.level].label}${h.parents.length ? `, ${h.parents.join(', ')}` : ''}`;
        li.append(name, lvl);
        li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(i); });
        return li;
      }));
    }
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    setText('search-status', results.length ? `${results.length} hasil` : 'Tidak ditemukan');
  };
  const run = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (q.length < 2) { close(); return; }
    try {
      const res = await fetch(`/api/v1/search?${new URLSearchParams({ q, limit: '8' })}`, { headers: { accept: 'application/json' } });
      const body = await res.json();
      if (mine !== seq) return; // an older answer arriving after a newer keystroke
      show(res.ok ? body.results : []);
    } catch (err) {
      console.error(err);
    }
  };
  const choose = (i) => {
    const h = hits[i];
    if (!h) return;
    close();
    input.value = h.level === 'kota' ? shortName(h.nama) : h.nama;
    flyToArea(h);
  };

  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, SEARCH_DEBOUNCE_MS); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && hits.length) { e.preventDefault(); mark((active + 1) % hits.length); }
    else if (e.key === 'ArrowUp' && hits.length) { e.preventDefault(); mark((active - 1 + hits.length) % hits.length); }
    else if (e.key === 'Escape') close();
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    if (list.hidden || !hits.length) await run();
    choose(active >= 0 ? active : 0);
  });
}

/** Flies to a search hit at a zoom inside its level's range, then selects it (numbers open). */
function flyToArea(h) {
  const level = LEVEL_BY_ID[h.level];
  const [w, s, e, n] = h.bbox;
  const cam = map.cameraForBounds([[w, s], [e, n]], { padding: 40 }) || { center: h.center, zoom: level.go };
  const zoom = Math.min(level.max - 0.05, Math.max(level.min + 0.05, cam.zoom));
  map.flyTo({ center: cam.center, zoom, essential: true });
  map.once('moveend', () => select(h.kode, h.nama));
}

// ---------------------------------------------------------------- rendering

function render() {
  updateBreaks();
  renderSummary();
  renderKota();
  renderPanel();
  renderLegend();
  renderTableView();
  const status = $('updated');
  const provAt = progress.get('provinsi|')?.areas?.['31']?.updated_at;
  status.dataset.updated = provAt || '';
  status.textContent = lastError ? `Gagal memuat sebagian data: ${lastError}`
    : `Data terakhir diperbarui ${fmtWhen(provAt)} · dimuat ${clock.format(new Date())}`;
  status.classList.toggle('error', !!lastError);
}

/**
 * The table of the level on screen, from the same progress answers as the map: at RW level the
 * RWs of the selected kelurahan, or else of the kelurahan in view; the downloads follow.
 */
function renderTableView() {
  const level = LEVEL_BY_ID[currentLevel()];
  let parent = null;
  let keys = [`${level.id}|`];
  if (level.id === 'rw') {
    const kel = selected && (selected.level === 'kelurahan' || selected.level === 'rw') ? ancestorOf(selected.kode, 'kelurahan') : null;
    parent = kel;
    keys = kel ? [`rw|${kel}`] : wantedKeys().filter((k) => k.startsWith('rw|'));
  }
  const rows = [];
  const seen = new Set();
  for (const k of keys) {
    for (const [kode, a] of Object.entries(progress.get(k)?.areas || {})) {
      if (seen.has(kode)) continue;
      seen.add(kode);
      rows.push({ kode, nama: level.id === 'kota' ? shortName(a.nama) : a.nama, target_kk: a.target_kk, served_kk: a.served_kk, percent: percentOf(a) });
    }
  }
  renderTable({
    level: level.id, per: level.per, parent, parentName: parent && areaData(parent)?.nama, rows,
    onSelect: (kode, nama) => { select(kode, nama); zoomToArea(kode); },
  });
}

function setBar(el, p) {
  el.style.width = `${Math.max(0, Math.min(100, p ?? 0))}%`;
}

function renderSummary() {
  const prov = progress.get('provinsi|');
  const a = prov && (prov.areas['31'] || Object.values(prov.areas)[0]);
  const p = percentOf(a);
  setText('prov-percent', fmtPct(p));
  setText('prov-served', fmtNum(a?.served_kk));
  setText('prov-target', fmtNum(a?.target_kk));
  setBar($('prov-bar'), p);
  const note = $('prov-generated');
  note.hidden = !prov?.generated;
  note.textContent = `Target dan penyaluran: ${GENERATED}.`;
  if (a && painted) renderTrend($('prov-trend'), '31', a.updated_at);
}

function renderKota() {
  const kota = progress.get('kota|');
  if (!kota) return;
  const list = $('kota-list');
  const rows = Object.entries(kota.areas).sort(([a], [b]) => a.localeCompare(b));
  const sig = JSON.stringify(rows) + (selected?.kode || '');
  if (list.dataset.sig === sig) return;
  list.dataset.sig = sig;
  list.replaceChildren(...rows.map(([kode, a]) => {
    const p = percentOf(a);
    const li = document.createElement('li');
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'kota';
    btn.dataset.kode = kode;
    btn.dataset.testid = 'kota-row';
    btn.setAttribute('aria-pressed', String(selected?.kode === kode));
    btn.setAttribute('aria-label', `${a.nama}: ${fmtPct(p)} KK terlayani, ${fmtNum(a.served_kk)} dari ${fmtNum(a.target_kk)} KK`);
    btn.innerHTML = `<span class="kota-name"></span><span class="kota-pct"></span>
      <span class="bar"><span></span></span><span class="kota-kk muted"></span>
      <span class="kota-updated muted" data-testid="kota-updated"></span>`;
    btn.querySelector('.kota-name').textContent = shortName(a.nama);
    btn.querySelector('.kota-pct').textContent = fmtPct(p);
    btn.querySelector('.kota-kk').textContent = `${fmtNum(a.served_kk)} / ${fmtNum(a.target_kk)} KK`;
    const upd = btn.querySelector('.kota-updated');
    upd.textContent = `Diperbarui ${fmtWhen(a.updated_at)}`;
    upd.dataset.updated = a.updated_at || '';
    const fill = btn.querySelector('.bar span');
    setBar(fill, p);
    fill.style.background = colorFor(p);
    btn.addEventListener('click', () => { select(kode, a.nama); zoomToArea(kode); });
    li.append(btn);
    return li;
  }));
}

function breadcrumb(kode) {
  const parts = [];
  for (let k = parentOf(kode); k.split('.').length >= 2; k = parentOf(k)) {
    const a = areaData(k);
    if (a) parts.unshift(shortName(a.nama));
  }
  return parts.join(' › ');
}

function renderPanel() {
  const panel = $('panel');
  panel.hidden = !selected;
  if (!selected) return;
  const a = areaData(selected.kode);
  const level = LEVEL_BY_ID[selected.level];
  const nama = a?.nama || selected.nama || selected.kode;
  const label = selected.level === 'kota' && /^Kabupaten/.test(nama) ? 'Kabupaten administrasi' : level.label;
  const crumbs = breadcrumb(selected.kode);
  setText('panel-level', crumbs ? `${label} · ${crumbs}` : label);
  setText('panel-name', selected.level === 'kota' ? shortName(nama) : nama);
  setText('panel-code', `Kode ${selected.kode}`);
  const p = percentOf(a);
  setText('panel-percent', fmtPct(p));
  setBar($('panel-bar'), p);
  setText('panel-target', fmtNum(a?.target_kk));
  setText('panel-served', fmtNum(a?.served_kk));
  setText('panel-received', fmtNum(a?.packages_received));
  setText('panel-damaged', fmtNum(a?.packages_damaged));
  setText('panel-returned', fmtNum(a?.packages_returned));
  const gen = $('panel-generated');
  const what = [];
  if (selected.generated) what.push('batas wilayah');
  if (a?.generated) what.push('target dan penyaluran');
  gen.hidden = !what.length;
  setText(gen, `${GENERATED[0].toUpperCase()}${GENERATED.slice(1)}: ${what.join(', ')}.`);
  setText('panel-updated', `Data wilayah ini diperbarui ${fmtWhen(a?.updated_at)}`);
  if (a && painted) renderTrend($('panel-trend'), selected.kode, a.updated_at);

  const wrap = $('rw-chart-wrap');
  wrap.hidden = selected.level !== 'kelurahan';
  if (selected.level === 'kelurahan') {
    const rw = progress.get(`rw|${selected.kode}`);
    setText('rw-chart-h', `KK per RW di Kelurahan ${nama}`);
    renderRwChart($('rw-chart'), rw);
  }
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * Horizontal bars, one row per RW: the light bar is the target, the dark one the KK served
 * on the same scale. Plain SVG rather than a chart library: a kelurahan has a few dozen RWs
 * at most, every bar stays a real element (labelled for screen readers, hover-linked to the
 * map), and the page loads nothing more than MapLibre.
 */
function renderRwChart(host, rw) {
  if (!rw) {
    if (!host.firstChild) host.textContent = 'Memuat data RW…';
    return;
  }
  const rows = Object.entries(rw.areas).sort(([a], [b]) => a.localeCompare(b));
  const sig = JSON.stringify(rows);
  if (host.dataset.sig === sig) return;
  host.dataset.sig = sig;
  if (!rows.length) {
    host.textContent = 'Belum ada data RW untuk kelurahan ini.';
    return;
  }
  const W = 320; const ROW = 22; const LABEL = 54; const VALUE = 92;
  const barW = W - LABEL - VALUE;
  const max = Math.max(1, ...rows.map(([, a]) => Math.max(a.target_kk || 0, a.served_kk || 0)));
  const el = svg('svg', {
    viewBox: `0 0 ${W} ${rows.length * ROW + 4}`, width: '100%', role: 'list',
    'aria-label': `Target dan KK terlayani untuk ${rows.length} RW`, class: 'rw-svg',
  });
  rows.forEach(([kode, a], i) => {
    const y = i * ROW + 2;
    const p = percentOf(a);
    const rwNo = kode.split('.').pop();
    const g = svg('g', {
      role: 'listitem', tabindex: '0', class: 'rw-row', 'data-testid': 'rw-bar', 'data-kode': kode,
      'data-target': String(a.target_kk ?? ''), 'data-served': String(a.served_kk ?? ''),
      'aria-label': `RW ${rwNo}: ${fmtNum(a.served_kk)} dari ${fmtNum(a.target_kk)} KK terlayani (${fmtPct(p)})`,
    });
    g.append(svg('title', {}, `${a.nama || `RW ${rwNo}`}: ${fmtNum(a.served_kk)} / ${fmtNum(a.target_kk)} KK (${fmtPct(p)})`));
    g.append(svg('text', { x: 0, y: y + 15, class: 'rw-label' }, `RW ${rwNo}`));
    g.append(svg('rect', { x: LABEL, y: y + 3, width: ((a.target_kk || 0) / max) * barW, height: ROW - 6, rx: 2, class: 'rw-target' }));
    g.append(svg('rect', {
      x: LABEL, y: y + 3, width: ((a.served_kk || 0) / max) * barW, height: ROW - 6, rx: 2,
      class: 'rw-served', 'data-testid': 'rw-served',
    }));
    g.append(svg('text', { x: W, y: y + 15, class: 'rw-value', 'text-anchor': 'end' }, `${fmtNum(a.served_kk)}/${fmtNum(a.target_kk)}`));
    const on = () => setHover('rw', kode);
    const off = () => setHover(null, null);
    g.addEventListener('mouseenter', on);
    g.addEventListener('focus', on);
    g.addEventListener('mouseleave', off);
    g.addEventListener('blur', off);
    el.append(g);
  });
  host.replaceChildren(el);
}

/** RW boundaries are real (2012) where the source has them, generated elsewhere; the tiles say so per feature. */
function rwGenerated() {
  return map.queryRenderedFeatures({ layers: ['rw-fill'] }).some((f) => f.properties.generated === true);
}

function renderLegend() {
  const level = LEVEL_BY_ID[currentLevel()];
  setText('legend-level', level.per);
  renderLegendClasses(level.id);
  document.querySelectorAll('.levels button').forEach((b) => {
    b.setAttribute('aria-pressed', String(b.dataset.level === level.id));
  });
  const gen = $('legend-generated');
  const levelData = [...progress.values()].filter((p) => p.level === level.id);
  const what = [];
  if (level.id === 'rw' && rwGenerated()) what.push('sebagian batas RW');
  const src = $('legend-rw-source');
  src.hidden = level.id !== 'rw';
  src.textContent = `Batas RW asli: ${RW_SOURCE}. Kepulauan Seribu dan kelurahan tanpa RW 2012 memakai RW ${GENERATED}, bergaris putus-putus.`;
  if (levelData.some((p) => p.generated)) what.push('target dan penyaluran');
  gen.hidden = !what.length;
  gen.textContent = `${GENERATED[0].toUpperCase()}${GENERATED.slice(1)}: ${what.join(', ')}.`;
}

/** Recomputes each level's breaks from the numbers loaded; repaints a level whose breaks moved. */
function updateBreaks() {
  for (const l of LEVELS) {
    const values = [...progress.values()].filter((p) => p.level === l.id)
      .flatMap((p) => Object.values(p.areas).map(percentOf));
    if (!values.length) continue;
    const br = quintileBreaks(values);
    if (JSON.stringify(br) === JSON.stringify(breaks[l.id])) continue;
    breaks[l.id] = br;
    if (map.getLayer(`${l.id}-fill`)) map.setPaintProperty(`${l.id}-fill`, 'fill-color', percentExpr(br));
  }
}

/** The legend of the level on screen: one swatch per class with its range, then "tanpa target". */
function renderLegendClasses(level) {
  const br = breaks[level] || DEFAULT_BREAKS;
  const host = $('legend-classes');
  const sig = `${level}|${br.join(',')}`;
  if (host.dataset.sig === sig) return;
  host.dataset.sig = sig;
  const edges = [0, ...br, 100];
  host.replaceChildren(...edges.slice(0, -1).map((lo, i) => {
    const li = document.createElement('li');
    li.dataset.testid = 'legend-class';
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = classColor(i, br.length);
    const hi = edges[i + 1];
    const label = i === 0 ? `< ${pct0.format(hi / 100)}` : i === br.length ? `≥ ${pct0.format(lo / 100)}` : `${num.format(lo)}–${pct0.format(hi / 100)}`;
    li.append(sw, document.createTextNode(label));
    return li;
  }));
}

function buildLegend() {
  $('legend-nodata').style.background = NO_DATA;
}

function showError(text) {
  const el = $('map-error');
  el.textContent = text;
  el.hidden = false;
}

// ---------------------------------------------------------------- start

/**
 * Started when the module runs, not after the map has loaded its tiles: the config and the
 * numbers of the first view (province and kota) come in while MapLibre fetches its worker,
 * tiles and glyphs, so the choropleth is coloured in the same frame as it first draws. (First
 * paint was config → map → tiles → load → progress → repaint, one after the other.)
 */
const configP = loadConfig();
const prefetch = Promise.allSettled(['provinsi|', 'kota|'].map(fetchProgress));
// MapLibre's worker (a 0.5 MB module of its own) is fetched and compiled while the config is
// still on its way, not after the map is made.
maplibregl.prewarm();

async function main() {
  let loaded = false; // numbers are joined only once the style and its sources exist
  buildLegend();
  const config = await configP;
  map = new maplibregl.Map({
    container: 'map',
    style: buildStyle(config),
    bounds: location.hash ? undefined : JAKARTA,
    fitBoundsOptions: { padding: 16 },
    center: MONAS,
    zoom: 10.5,
    minZoom: 8,
    maxZoom: 18,
    hash: true,
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false,
    // No label fade-in: with it MapLibre keeps drawing frames for 300 ms after the last tile, and
    // with software WebGL every frame is CPU time that first paint waits for.
    fadeDuration: 0,
  });
  window.sigapMap = map;
  // The numbers asked for at start-up are joined as soon as the sources exist, before their
  // tiles arrive: the choropleth is coloured in its first frame, not drawn grey, then repainted.
  const early = new Promise((resolve) => map.once('style.load', resolve))
    .then(() => prefetch)
    .then(() => applyFeatureState([...progress.keys()]));
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');

  let tileErrorShown = false;
  map.on('error', (e) => {
    console.error(e.error || e);
    if (!tileErrorShown && e.sourceId) {
      tileErrorShown = true;
      showError(`Ubin peta "${e.sourceId}" gagal dimuat. Coba muat ulang halaman.`);
    }
  });

  const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'hover-pop', offset: 12 });
  const fillLayers = LEVELS.map((l) => `${l.id}-fill`);
  map.on('mousemove', (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: fillLayers })[0];
    if (!f) {
      setHover(null, null);
      popup.remove();
      map.getCanvas().style.cursor = '';
      return;
    }
    const kode = f.properties.kode;
    setHover(f.source, kode);
    map.getCanvas().style.cursor = 'pointer';
    const a = areaData(kode);
    popup.setLngLat(e.lngLat)
      .setHTML('<strong></strong><br><span></span>')
      .addTo(map);
    const el = popup.getElement();
    el.querySelector('strong').textContent = shortName(a?.nama || f.properties.nama || kode);
    el.querySelector('span').textContent = a ? `${fmtPct(percentOf(a))} · ${fmtNum(a.served_kk)} / ${fmtNum(a.target_kk)} KK` : kode;
  });
  map.getCanvas().addEventListener('mouseleave', () => { setHover(null, null); popup.remove(); });

  map.on('click', (e) => {
    // A click on a site or a cluster is theirs (popup, zoom in), not a selection of the area under it.
    const points = pointLayerIds().filter((id) => map.getLayer(id));
    if (points.length && map.queryRenderedFeatures(e.point, { layers: points }).length) return;
    const f = map.queryRenderedFeatures(e.point, { layers: fillLayers })[0];
    select(f ? f.properties.kode : null, f?.properties?.nama, f?.properties?.generated === true);
  });
  $('panel-close').addEventListener('click', () => select(null));
  setupSearch();
  setupTable();
  document.querySelectorAll('.levels button').forEach((b) => {
    b.addEventListener('click', () => {
      const c = map.getCenter();
      const inside = c.lng > 106.3 && c.lng < 107.1 && c.lat > -6.5 && c.lat < -5.1;
      map.easeTo({ zoom: LEVEL_BY_ID[b.dataset.level].go, center: inside ? c : MONAS });
    });
  });

  map.on('zoom', renderLegend);
  // New tiles (an RW view moved to other kelurahan, a level switch) may need numbers not yet fetched.
  map.on('idle', () => {
    if (loaded && wantedKeys().some((k) => !progress.has(k))) refresh();
  });
  const refreshVisible = () => { if (loaded && document.visibilityState === 'visible') refresh(); };
  document.addEventListener('visibilitychange', refreshVisible);
  window.addEventListener('focus', refreshVisible);
  setInterval(refreshVisible, POLL_MS);

  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
  setupLayers(map, maplibregl);
  loaded = true;
  // The numbers of the first view were asked for at start-up, alongside the tiles, and joined
  // at style load; only what that view still lacks is fetched here.
  await early;
  await refresh(true);
  await new Promise((resolve) => { map.once('idle', resolve); map.triggerRepaint(); });
  // First meaningful paint, for tests/browser/measure.mjs and the browser test (page time, not
  // the test driver's polling).
  performance.mark('sigap-ready');
  readyResolve(map);
  painted = true;
  render();
}

window.sigapRefresh = () => refresh();
main().catch((err) => {
  console.error(err);
  showError(`Peta tidak dapat dimuat: ${err.message}`);
});
