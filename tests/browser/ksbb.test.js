// The KSBB UMKM page (web/ksbb.html) in headless Chromium against a running sigap: the site layers
// drawn from the vector tiles with the share of UMKM reached, the totals and per-kota table equal
// to the roll-up API, the collaborators who agreed to be shown, no personal data on the page, and
// the collaborator dashboard (a wrong token refused in Indonesian; the right one shows its ID
// kolaborasi, its Realisasi form and its flags). Data is made here through the API and the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ADMIN_TOKEN, BASE, OUT_DIR, cliToken, getJson, openBrowser, postJson, requireServer } from './lib.js';

const SITE_A = [106.8245, -6.1700];
const SITE_B = [106.8300, -6.1790];
const SECRETS = ['Ibu Pengelola Rahasia', '081377776666', 'Pemilik Rahasia', '081255554444'];

let browser;
let page;
let kolabToken;
let idKolaborasi;
const pageErrors = [];
const cspViolations = [];

async function send(method, p, body, token, ctype = 'application/json') {
  const res = await fetch(`${BASE}${p}`, {
    method, headers: { 'content-type': ctype, authorization: `Bearer ${token}` }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${p}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

before(async () => {
  requireServer();
  assert.ok(ADMIN_TOKEN && process.env.SIGAP_BIN && process.env.SIGAP_DB, 'run through tests/browser/run.sh');
  await mkdir(OUT_DIR, { recursive: true });
  // Two sites, three UMKM (two at A), a donatur who agreed to be shown, its Konfirmasi at A and a BAST for one UMKM.
  for (const [kode, jenis, [lon, lat]] of [['KSBB-UJI-A', 'lokbin', SITE_A], ['KSBB-UJI-B', 'loksem', SITE_B]]) {
    await send('POST', '/api/v1/ksbb/sites', { kode, nama: `Lokasi Uji ${kode.slice(-1)}`, jenis, lon, lat, kapasitas: 25,
      pj_nama: SECRETS[0], pj_telepon: SECRETS[1], sumber: 'uji browser (generated)' }, ADMIN_TOKEN);
  }
  const csv = 'kode,nama_usaha,nama_pemilik,telepon,sektor,dinas,lokasi\n'
    + `UJI-1,Warung Uji 1,${SECRETS[2]},${SECRETS[3]},kuliner,ppkukm,KSBB-UJI-A\n`
    + 'UJI-2,Warung Uji 2,Pemilik Dua,,kuliner,ppkukm,KSBB-UJI-A\nUJI-3,Warung Uji 3,Pemilik Tiga,,kriya,parekraf,KSBB-UJI-B\n';
  await send('POST', '/api/v1/ksbb/umkm/import', csv, ADMIN_TOKEN, 'text/csv');
  const k = await postJson('/api/v1/ksbb/kolaborator', { jenis: 'donatur', nama: 'Donatur Peta Uji', kontak_nama: 'Kontak Uji', kontak_email: 'uji@contoh.id', tampil_publik: true }, '');
  await send('POST', `/api/v1/ksbb/kolaborator/${k.id}/review`, { keputusan: 'setujui', pks: { nomor: `PKS/UJI/${k.id}`, tanggal_mulai: '2026-01-01', tanggal_selesai: '2027-12-31' } }, ADMIN_TOKEN);
  kolabToken = cliToken('kolaborator', String(k.id));
  const konf = await send('POST', '/api/v1/ksbb/konfirmasi', { bentuk: 'sarana', uraian: 'Gerobak dagang', lokasi: ['KSBB-UJI-A'],
    jadwal_mulai: '2026-12-01', jadwal_selesai: '2026-12-15', nilai_per_paket: 1_500_000, jumlah_paket: 4 }, kolabToken);
  idKolaborasi = konf.id_kolaborasi;
  await send('POST', '/api/v1/ksbb/realisasi', { id_kolaborasi: idKolaborasi, jenis: 'bast', nomor_dokumen: 'BAST/UJI/1', tanggal: '2026-12-03',
    umkm: [{ kode: 'UJI-1', jumlah: 1 }] }, kolabToken);

  browser = await openBrowser({ viewport: { width: 1280, height: 900 }, pageErrors, cspViolations });
  page = browser.page;
});

after(async () => {
  await browser?.close();
});

const shot = (name) => page.screenshot({ path: path.join(OUT_DIR, `${name}.png`), fullPage: true });

test('public page: totals and kota table equal the roll-up, collaborators shown, sites coloured by share reached', async () => {
  await page.goto(`${BASE}/ksbb.html`);
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 60_000 });
  const rekap = await getJson('/api/v1/ksbb/rekap?tingkat=kota');
  const shown = await page.$$eval('[data-testid="ksbb-total"] dd', (dds) => Object.fromEntries(dds.map((d) => [d.dataset.key, Number(d.dataset.value)])));
  for (const [key, v] of Object.entries(shown)) assert.equal(v, rekap.total[key], `total ${key}`);
  assert.ok(rekap.total.target_umkm >= 3 && rekap.total.umkm_terealisasi >= 1, JSON.stringify(rekap.total));
  const nilai = await page.textContent('[data-key="nilai_dijanjikan"]');
  assert.match(nilai, /^Rp \d{1,3}(\.\d{3})+$/, `Indonesian rupiah format: ${nilai}`);
  const rows = await page.$$eval('[data-testid="ksbb-kota"] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), rekap.wilayah.map((w) => w.nama));
  const kolab = await page.textContent('[data-testid="ksbb-kolaborator"]');
  assert.match(kolab, /Donatur Peta Uji \(donatur\)/);

  // The site layers from the tiles: A has 1 of its 2 UMKM reached (50 %), B none.
  await page.evaluate((c) => window.ksbbMap.jumpTo({ center: c, zoom: 15 }), SITE_A);
  const feats = await page.waitForFunction(() => {
    const m = window.ksbbMap;
    if (!m.loaded() || !m.areTilesLoaded()) return null;
    const fs = m.queryRenderedFeatures({ layers: ['site-lokbin', 'site-loksem'] }).map((f) => f.properties);
    const a = fs.find((p) => p.kode === 'KSBB-UJI-A');
    const b = fs.find((p) => p.kode === 'KSBB-UJI-B');
    return a && b ? { a, b } : null;
  }, null, { timeout: 60_000, polling: 200 }).then((h) => h.jsonValue());
  assert.deepEqual([feats.a.umkm, feats.a.tercapai, feats.a.persen, feats.a.jenis], [2, 1, 50, 'lokbin']);
  assert.deepEqual([feats.b.umkm, feats.b.persen, feats.b.jenis], [1, 0, 'loksem']);
  for (const p of [feats.a, feats.b]) {
    assert.ok(!('pj_nama' in p) && !('pj_telepon' in p), `no contact in the tile: ${JSON.stringify(p)}`);
  }
  // The fill follows the share: A's circle is drawn in the 50–99 % class colour.
  const colour = await page.evaluate(() => {
    const f = window.ksbbMap.queryRenderedFeatures({ layers: ['site-lokbin'] }).find((x) => x.properties.kode === 'KSBB-UJI-A');
    const c = f.layer.paint['circle-color'];
    return [c.r, c.g, c.b].map((v) => Math.round(v * 255));
  });
  assert.deepEqual(colour, [0xa6, 0xd9, 0x6a], 'drawn in the 50–99 % class colour');
  const px = await page.evaluate((c) => { const p = window.ksbbMap.project(c); return [p.x, p.y]; }, SITE_A);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + px[0], box.y + px[1]);
  const popup = await page.waitForSelector('[data-testid="ksbb-popup"]', { timeout: 30_000 });
  assert.match(await popup.textContent(), /Lokasi Uji A.*Lokasi binaan.*terealisasi 1 \(50%\)/s);
  assert.doesNotMatch(await popup.textContent(), /data bangkitan/, 'the site this test made is not generated');
  // `sigap init` places generated demo sites (some near these): the note shows exactly when one is drawn.
  const drawnGenerated = await page.evaluate(() => window.ksbbMap.queryRenderedFeatures({ layers: ['site-lokbin', 'site-loksem', 'site-promosi'] }).some((f) => f.properties.generated));
  assert.equal(await page.isVisible('[data-testid="generated-note"]'), drawnGenerated, 'the generated note follows the sites drawn');
  await shot('ksbb-peta');

  const html = await page.content();
  for (const s of SECRETS) assert.ok(!html.includes(s), `the page shows ${s}`);
});

test('collaborator dashboard: a wrong token is refused; its own token shows its IDs, forms and flags', async () => {
  await page.fill('[data-testid="ksbb-token"]', 'bukan-token');
  await page.click('[data-testid="ksbb-login"] button');
  await page.waitForFunction(() => /Token tidak dikenal/.test(document.querySelector('[data-testid="ksbb-dasbor-status"]').textContent), null, { timeout: 30_000 });
  assert.equal(await page.isVisible('[data-testid="ksbb-dasbor"]'), false);
  // A token of another role is not a collaborator's.
  await page.fill('[data-testid="ksbb-token"]', cliToken('planner'));
  await page.click('[data-testid="ksbb-login"] button');
  await page.waitForFunction(() => /bukan token kolaborator/.test(document.querySelector('[data-testid="ksbb-dasbor-status"]').textContent), null, { timeout: 30_000 });

  await page.fill('[data-testid="ksbb-token"]', kolabToken);
  await page.click('[data-testid="ksbb-login"] button');
  await page.waitForSelector('[data-testid="ksbb-dasbor"]:not([hidden])', { timeout: 30_000 });
  const konf = await page.$$eval('[data-testid="ksbb-konfirmasi"] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(konf.map((r) => r[0]), [idKolaborasi]);
  assert.match(idKolaborasi, /^KSBB-\d{4}-\d{6}$/);
  assert.equal(konf[0][1], 'Sarana');
  assert.equal(konf[0][3], '4 × Rp 1.500.000');
  const real = await page.$$eval('[data-testid="ksbb-realisasi"] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(real.map((r) => [r[0], r[1], r[2], r[4], r[5]]), [[idKolaborasi, 'bast', 'BAST/UJI/1', '1', 'bast, foto']]);
  const flags = await page.textContent('[data-testid="ksbb-flags"] tbody');
  assert.match(flags, /Tidak ada perbedaan laporan/);
  assert.match(await page.textContent('[data-testid="ksbb-dasbor-status"]'), /1 ID kolaborasi, 1 laporan realisasi, 0 flag terbuka/);
  await shot('ksbb-dasbor');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.ok(!stored.includes(kolabToken), 'the token is not kept by the page');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
