// Where the public map's first paint spends its time: cold loads (a fresh browser, empty cache)
// against running sigap servers, printing for each load the time to `sigapReady` (first
// meaningful paint: the choropleth drawn with its numbers) and the CPU time the browser spent on
// it (every Chromium process: page, MapLibre's worker, SwiftShader's GPU process), and for the
// last load each resource (bytes on the wire, start, end).
//   BASE_URL=http://127.0.0.1:8080 node tests/browser/measure.mjs [runs]
//   BASE_URLS=http://127.0.0.1:8080,http://127.0.0.1:8081 node tests/browser/measure.mjs [runs]
// With BASE_URLS the servers are loaded in turn (A, B, A, B, …) so both see the same machine
// load, and the medians are compared at the end: on a shared machine wall time is noise, CPU
// time and the A/B ratio are the signal. TRACE=dir also writes a Chromium performance trace of
// each server's last load there and prints its busiest threads and events.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASES = (process.env.BASE_URLS || process.env.BASE_URL || 'http://127.0.0.1:8080').split(',').map((b) => b.replace(/\/$/, ''));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const runs = Number(process.argv[2] || 1);
const TRACE = process.env.TRACE;
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU ms (user + system) of every process descending from this one: the browser we launched. */
async function browserCpuMs() {
  const procs = new Map();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = await readFile(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) * TICK_MS });
    } catch { /* gone */ }
  }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of procs) if (!mine.has(pid) && mine.has(p.ppid)) { mine.add(pid); grew = true; }
  }
  mine.delete(process.pid);
  let ms = 0;
  for (const pid of mine) ms += procs.get(pid).cpu;
  return ms;
}

/** Busiest threads and top-level events of a Chromium trace (complete events, µs → ms). */
function summariseTrace(events) {
  const names = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  const threads = new Map();
  const byName = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const t = names.get(`${e.pid}:${e.tid}`) || `${e.pid}:${e.tid}`;
    const tdur = (e.tdur ?? e.dur) / 1000;
    if (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask') threads.set(t, (threads.get(t) || 0) + tdur);
    if (['EvaluateScript', 'v8.compile', 'v8.compileModule', 'FunctionCall', 'ParseHTML', 'Layout', 'Paint', 'UpdateLayoutTree', 'v8.evaluateModule', 'ParseAuthorStyleSheet', 'EventDispatch', 'FireAnimationFrame', 'TimerFire', 'XHRLoad', 'ResourceReceivedData', 'MajorGC', 'MinorGC', 'V8.GC_MC_BACKGROUND_MARKING'].includes(e.name)) {
      const k = `${t.padEnd(22)} ${e.name}`;
      byName.set(k, (byName.get(k) || 0) + tdur);
    }
  }
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `    ${k.padEnd(48)} ${v.toFixed(0).padStart(6)} ms`).join('\n');
  return `  busiest threads (CPU in top-level tasks):\n${top(threads, 8)}\n  events:\n${top(byName, 14)}`;
}

async function load(base, trace) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Marks the moment `window.sigapReady` resolves, on any version of the page (an A/B against an
  // older page that does not mark it itself).
  await ctx.addInitScript(() => {
    let ready;
    Object.defineProperty(window, 'sigapReady', {
      configurable: true,
      get: () => ready,
      set: (p) => { ready = p; Promise.resolve(p).then(() => performance.mark('sigap-ready-seen')); },
    });
  });
  const page = await ctx.newPage();
  if (trace) {
    await browser.startTracing(page, { path: trace, screenshots: false,
      categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink', 'toplevel', 'gpu', '__metadata'] });
  }
  const cpu0 = await browserCpuMs();
  const t0 = Date.now();
  await page.goto(`${base}/`, { waitUntil: 'load' });
  const loaded = Date.now() - t0;
  await page.waitForFunction(() => window.sigapReady, null, { timeout: 60_000 });
  await page.evaluate(() => window.sigapReady);
  const cpu = (await browserCpuMs()) - cpu0;
  // In-page time from navigation start to sigapReady: the driver's wall clock adds its polling
  // and process hops, which under load are seconds.
  const ready = Math.round(await page.evaluate(() => performance.getEntriesByName('sigap-ready-seen')[0]?.startTime ?? NaN)) || Date.now() - t0;
  const marks = await page.evaluate(() => ({
    res: performance.getEntriesByType('resource').map((e) => ({ n: e.name.replace(location.origin, ''), b: e.transferSize ? e.encodedBodySize : 0, s: Math.round(e.startTime), d: Math.round(e.duration) })),
    paint: performance.getEntriesByType('paint').map((e) => [e.name, Math.round(e.startTime)]),
  }));
  if (trace) await browser.stopTracing();
  await browser.close();
  return { loaded, ready, cpu, marks };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = BASES.map(() => []);
if (TRACE) await mkdir(TRACE, { recursive: true });
for (let i = 0; i < runs; i++) {
  for (const [j, base] of BASES.entries()) {
    const last = i === runs - 1;
    const trace = TRACE && last ? path.join(TRACE, `trace-${j}.json`) : null;
    const r = await load(base, trace);
    results[j].push(r);
    console.log(`${base} run ${i + 1}: load event ${r.loaded} ms, map ready ${r.ready} ms, browser CPU ${r.cpu} ms, paint ${JSON.stringify(r.marks.paint)}`);
    if (last || process.env.VERBOSE) {
      const by = {};
      for (const x of r.marks.res) {
        const k = x.n.startsWith('/tiles/') ? `tiles ${x.n.split('/')[2]}` : x.n.startsWith('/glyphs/') ? 'glyphs' : x.n.split('?')[0];
        by[k] ||= { n: 0, bytes: 0, first: Infinity, last: 0 };
        by[k].n++; by[k].bytes += x.b; by[k].first = Math.min(by[k].first, x.s); by[k].last = Math.max(by[k].last, x.s + x.d);
      }
      for (const [k, v] of Object.entries(by).sort((a, b) => a[1].first - b[1].first)) console.log(`  ${k.padEnd(48)} ${String(v.n).padStart(3)} × ${String(v.bytes).padStart(8)} B  ${v.first}–${v.last} ms`);
      if (trace) {
        const data = JSON.parse(await readFile(trace, 'utf8'));
        console.log(summariseTrace(Array.isArray(data) ? data : data.traceEvents));
      }
    }
  }
}
const summary = BASES.map((b, j) => ({ base: b, ready_ms: median(results[j].map((r) => r.ready)), cpu_ms: median(results[j].map((r) => r.cpu)), runs: results[j].length }));
for (const s of summary) console.log(`MEDIAN ${s.base}: map ready ${s.ready_ms} ms, browser CPU ${s.cpu_ms} ms (${s.runs} cold loads)`);
if (BASES.length === 2) {
  const [a, b] = summary;
  console.log(`RATIO first paint ${a.base} / ${b.base}: wall ${(a.ready_ms / b.ready_ms).toFixed(2)}x, CPU ${(a.cpu_ms / b.cpu_ms).toFixed(2)}x`);
}
if (process.env.OUT_JSON) await writeFile(process.env.OUT_JSON, JSON.stringify(summary, null, 2));
