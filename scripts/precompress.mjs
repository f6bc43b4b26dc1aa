// Precompressed copies of the large files the public map loads as they are (third-party builds
// and the rendered glyphs): `<file>.br` (brotli, best) and `<file>.gz` (gzip -9) beside each, which
// sigap's static file server sends by the browser's Accept-Encoding. Done once at setup, not per
// request: MapLibre's 1.1 MB module is 0.25 MB in brotli, and compressing it on the fly at
// that level would cost more CPU per request than serving it.
// Only files that change with a package-lock or a glyph render are listed (never the page's own
// app.js etc., which are edited by hand and would go stale); a copy older than its file is redone.
//   node scripts/precompress.mjs WEB_DIR
import { readdir, readFile, stat, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

const web = process.argv[2];
if (!web) {
  console.error('usage: node scripts/precompress.mjs WEB_DIR');
  process.exit(2);
}
const files = [
  'node_modules/maplibre-gl/dist/maplibre-gl.mjs',
  'node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs',
  'node_modules/maplibre-gl/dist/maplibre-gl.css',
  'node_modules/uplot/dist/uPlot.esm.js',
  'node_modules/uplot/dist/uPlot.min.css',
];
for (const font of await readdir(path.join(web, 'glyphs')).catch(() => [])) {
  const dir = path.join('glyphs', font);
  if (!(await stat(path.join(web, dir))).isDirectory()) continue;
  for (const f of await readdir(path.join(web, dir))) if (f.endsWith('.pbf')) files.push(path.join(dir, f));
}

const mtime = (f) => stat(f).then((s) => s.mtimeMs, () => -1);
let done = 0;
for (const rel of files) {
  const src = path.join(web, rel);
  const at = await mtime(src);
  if (at < 0) continue;
  const body = await readFile(src);
  for (const [ext, pack] of [
    ['.br', (b) => zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length } })],
    ['.gz', (b) => zlib.gzipSync(b, { level: 9 })],
  ]) {
    if ((await mtime(src + ext)) >= at) continue;
    // Written beside, then renamed: a server never sends a half-written copy.
    await writeFile(`${src + ext}.tmp`, pack(body));
    await rename(`${src + ext}.tmp`, src + ext);
    done++;
  }
}
console.log(`precompress: ${done} copies written, ${files.length} files checked`);
