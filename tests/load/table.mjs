// Prints the README's figures table from a run's figures-gpkg.json and figures-pg.json:
//   node tests/load/table.mjs target/load-full
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? 'target/load-full';
const runs = ['gpkg', 'pg'].map((s) => JSON.parse(fs.readFileSync(path.join(dir, `figures-${s}.json`), 'utf8')));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log('| phase | GeoPackage: req/s, p50 / p99 / max ms (load) | PostGIS: req/s, p50 / p99 / max ms (load) |');
console.log('|---|---|---|');
for (const [i, f] of runs[0].results.entries()) {
  const cell = (r) => (r ? `${fmt(r.requests_per_s)}/s, ${r.p50_ms} / ${r.p99_ms} / ${r.max_ms} (${r.load_avg.split(' ')[0]})${r.non2xx || r.errors ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}` : '–');
  console.log(`| ${f.name} | ${cell(f)} | ${cell(runs[1].results[i])} |`);
}
