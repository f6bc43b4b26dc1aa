// Where the public map's first paint spends its time: one cold load (fresh profile) against a
// running sigap, printing each resource (bytes, start, duration) and the time to `sigapReady`.
//   BASE_URL=http://127.0.0.1:8080 node tests/browser/measure.mjs [runs]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const runs = Number(process.argv[2] || 1);
for (let i = 0; i < runs; i++) {
  const dir = await mkdtemp(path.join(tmpdir(), 'sigap-measure-'));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS, viewport: { width: 1280, height: 800 } });
  const page = ctx.pages()[0] || (await ctx.newPage());
  const t0 = Date.now();
  await page.goto(`${BASE}/`, { waitUntil: 'load' });
  const loaded = Date.now() - t0;
  await page.waitForFunction(() => window.sigapReady, null, { timeout: 60_000 });
  await page.evaluate(() => window.sigapReady);
  const ready = Date.now() - t0;
  const marks = await page.evaluate(() => ({
    nav: performance.getEntriesByType('navigation')[0]?.toJSON(),
    res: performance.getEntriesByType('resource').map((e) => ({ n: e.name.replace(location.origin, ''), b: e.encodedBodySize, s: Math.round(e.startTime), d: Math.round(e.duration) })),
    paint: performance.getEntriesByType('paint').map((e) => [e.name, Math.round(e.startTime)]),
  }));
  console.log(`run ${i + 1}: load event ${loaded} ms, map ready ${ready} ms, paint ${JSON.stringify(marks.paint)}`);
  if (i === runs - 1 || process.env.VERBOSE) {
    const by = {};
    for (const r of marks.res) {
      const k = r.n.startsWith('/tiles/') ? `tiles ${r.n.split('/')[2]}` : r.n.startsWith('/glyphs/') ? 'glyphs' : r.n.split('?')[0];
      by[k] ||= { n: 0, bytes: 0, first: Infinity, last: 0 };
      by[k].n++; by[k].bytes += r.b; by[k].first = Math.min(by[k].first, r.s); by[k].last = Math.max(by[k].last, r.s + r.d);
    }
    for (const [k, v] of Object.entries(by).sort((a, b) => a[1].first - b[1].first)) console.log(`  ${k.padEnd(48)} ${String(v.n).padStart(3)} × ${String(v.bytes).padStart(8)} B  ${v.first}–${v.last} ms`);
  }
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
}
