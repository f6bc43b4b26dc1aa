// Shared helpers for the browser and tile tests: where sigap runs, the API, tile maths.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = (process.env.BASE_URL || '').replace(/\/$/, '');
export const TOKEN = process.env.SIGAP_TOKEN || '';
export const ADMIN_TOKEN = process.env.SIGAP_ADMIN_TOKEN || '';
export const OUT_DIR = process.env.OUT_DIR || new URL('../../out/browser/', import.meta.url).pathname;

/** Monas, in kelurahan Gambir (31.71.01.1001), central Jakarta. */
export const MONAS = [106.8272, -6.1754];

export const CODE_RE = {
  kota: /^31\.\d\d$/,
  kecamatan: /^31\.\d\d\.\d\d$/,
  kelurahan: /^31\.\d\d\.\d\d\.\d{4}$/,
  rw: /^31\.\d\d\.\d\d\.\d{4}\.\d{3}$/,
};

export const fmtNum = (v) => new Intl.NumberFormat('id-ID').format(v);

export function requireServer() {
  assert.ok(BASE, 'BASE_URL is not set: run through tests/browser/run.sh <sigap binary>');
}

export async function getJson(path) {
  const res = await fetch(`${BASE}${path}`, { headers: { accept: 'application/json' } });
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

export async function postJson(path, body, token = TOKEN) {
  const res = await fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'idempotency-key': crypto.randomUUID(),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.status === 200 || res.status === 201, `POST ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Slippy-map tile holding a lon/lat at zoom z. */
export function tileOf([lon, lat], z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return { z, x, y };
}

function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Point in a GeoJSON Polygon or MultiPolygon geometry (even-odd over all rings). */
export function geometryContains(geometry, pt) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polys.some((rings) => rings.reduce((acc, ring) => (inRing(pt, ring) ? !acc : acc), false));
}

/** Rows of a CSV text (RFC 4180: quoted fields, doubled quotes, commas and newlines inside quotes). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// SwiftShader gives the headless browser WebGL2 for the MapLibre pages; no network beyond sigap.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/**
 * Headless Chromium on a throwaway profile, one page open. Page errors and Content-Security-Policy
 * refusals go into the caller's arrays, so every page test can assert there were none; `close`
 * also removes the profile.
 */
export async function openBrowser({ viewport, pageErrors = [], cspViolations = [] }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'sigap-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, locale: 'id-ID' });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.log(`[browser] ${msg.text()}`);
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  const close = async () => {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** A token of `role` (scoped to `unit` if given) made by the sigap binary on the server's database. */
export function cliToken(role, unit) {
  const args = ['--database-url', process.env.SIGAP_DB, 'token', 'create', '--role', role, ...(unit ? ['--unit', unit] : [])];
  const out = execFileSync(process.env.SIGAP_BIN, args, { encoding: 'utf8' });
  return out.trim().split(/\s+/).pop();
}
