// The logistics operator page (web/logistik.html) in headless Chromium against a running sigap:
// a unit requests through the page, the Bidang Logistik approves, the Sekretariat dispatches and
// the unit confirms its receipt, each with its own token pasted into the page; the request ends
// confirmed and the gudang's stock fell by exactly the dispatched quantity. A bad request (zero
// quantity) shows the API's refusal naming the field and creates nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ADMIN_TOKEN, BASE, MONAS, OUT_DIR, cliToken, openBrowser, postJson, requireServer } from './lib.js';

const UNIT = '31.71.01.1001';
const MASKER = 'APD-MASKER-3PLY';

let browser;
let page;
const pageErrors = [];
const cspViolations = [];


async function getAuth(p, tok = ADMIN_TOKEN) {
  const res = await fetch(`${BASE}${p}`, { headers: { authorization: `Bearer ${tok}`, accept: 'application/json' } });
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${p}: ${text}`);
  return JSON.parse(text);
}

/** Dispatchable stock of one item in one gudang, from the API. */
async function stok(gudang, barang) {
  const lots = await getAuth(`/api/v1/logistik/stok?gudang=${gudang}&barang=${barang}`);
  return lots.filter((l) => l.status !== 'kedaluwarsa').reduce((s, l) => s + l.jumlah, 0);
}

before(async () => {
  requireServer();
  assert.ok(process.env.SIGAP_BIN && process.env.SIGAP_DB, 'SIGAP_BIN and SIGAP_DB are set by run.sh');
  await mkdir(OUT_DIR, { recursive: true });
  browser = await openBrowser({ viewport: { width: 1200, height: 1400 }, pageErrors, cspViolations });
  page = browser.page;
});

after(async () => {
  await browser?.close();
});

/** Pastes a token and waits for the lists to reload with it. */
async function useToken(t) {
  const before = await page.evaluate(() => document.body.dataset.ready || '');
  await page.fill('[data-testid=token]', t);
  await page.click('#token-form button[type=submit]');
  await page.waitForFunction((b) => (document.body.dataset.ready || '') !== b, before);
}

/** Clicks and waits for the page's answer and the reload after it. */
async function clickAndWait(selector) {
  const before = await page.evaluate(() => document.body.dataset.ready || '');
  await page.click(selector);
  await page.waitForFunction((b) => (document.body.dataset.ready || '') !== b, before);
  return page.textContent('[data-testid=pesan]');
}

test('a request made on the page ends as a confirmed receipt and moves exactly the dispatched stock', async () => {
  const penerima = cliToken('penerima', UNIT);
  const logistik = cliToken('logistik');
  const sekretariat = cliToken('sekretariat');
  // Stock at BALAIKOTA (next to Monas) through a real receipt.
  const bast = `BAST/BROWSER/${Date.now()}`;
  await postJson('/api/v1/logistik/penerimaan', { gudang: 'BALAIKOTA', pengirim: 'Donatur uji', bast_nomor: bast, bast_tanggal: new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10),
    baris: [{ barang: MASKER, lot: `L-${Date.now()}`, jumlah_diumumkan: 500, jumlah_diterima: 500 }] }, ADMIN_TOKEN);
  const stockBefore = await stok('BALAIKOTA', MASKER);
  assert.ok(stockBefore >= 500, `stock ${stockBefore}`);

  await page.goto(`${BASE}/logistik.html`);
  await page.waitForFunction(() => document.body.dataset.ready);
  await useToken(penerima);
  const rowSel = `[data-testid="stok-BALAIKOTA-${MASKER}"] td.n`;
  assert.equal(Number(await page.getAttribute(rowSel, 'data-jumlah')), stockBefore, 'the page shows the ledger balance');

  // Bad input beside the good: a zero quantity is refused naming the field, nothing is created.
  const requestsBefore = (await getAuth('/api/v1/logistik/permintaan')).length;
  const form = '[data-testid=minta-form]';
  await page.fill(`${form} input[name=unit]`, UNIT);
  await page.selectOption(`${form} select[name=barang]`, MASKER);
  await page.fill(`${form} input[name=lon]`, String(MONAS[0]));
  await page.fill(`${form} input[name=lat]`, String(MONAS[1]));
  await page.fill(`${form} input[name=tempat]`, 'Posko RW 03 (uji browser)');
  await page.fill(`${form} input[name=jumlah]`, '0');
  const refused = await clickAndWait(`${form} button[type=submit]`);
  assert.match(refused, /^Gagal: .*baris\[0\]\.jumlah/, refused);
  assert.equal((await getAuth('/api/v1/logistik/permintaan')).length, requestsBefore, 'a refused request creates nothing');

  await page.fill(`${form} input[name=jumlah]`, '120');
  const made = await clickAndWait(`${form} button[type=submit]`);
  const id = Number(/Permintaan #(\d+) diajukan/.exec(made)?.[1]);
  assert.ok(id > 0, made);
  const card = `[data-testid="permintaan-${id}"]`;

  // Bidang Logistik: approve from the nearest gudang with stock.
  await useToken(logistik);
  assert.match(await clickAndWait(`[data-testid=masuk] ${card} [data-testid=setujui]`), /disetujui dari gudang BALAIKOTA/);

  // Sekretariat: dispatch with a surat jalan; an empty number is refused first.
  await useToken(sekretariat);
  assert.match(await clickAndWait(`[data-testid=siap] ${card} [data-testid=kirim]`), /^Gagal: .*surat_jalan/);
  await page.fill(`[data-testid=siap] ${card} input[name=surat_jalan]`, `SJ/BROWSER/${id}`);
  assert.match(await clickAndWait(`[data-testid=siap] ${card} [data-testid=kirim]`), /dikirim: 120 APD-MASKER-3PLY/);
  const stockAfter = await stok('BALAIKOTA', MASKER);
  assert.equal(stockBefore - stockAfter, 120, 'stock changed by exactly the dispatched quantity');
  assert.equal(Number(await page.getAttribute(rowSel, 'data-jumlah')), stockAfter, 'the page shows the new balance');

  // The unit confirms with its BAST: 118 received, 2 damaged.
  await useToken(penerima);
  const box = `[data-testid=dikirim] ${card}`;
  await page.fill(`${box} input[name=bast_nomor]`, `BAST/UNIT/BROWSER/${id}`);
  await page.fill(`${box} input[name=rusak]`, '2');
  assert.match(await clickAndWait(`${box} [data-testid=konfirmasi]`), /^Gagal: .*baris\[0\]\.diterima/, 'sums must add up');
  await page.fill(`${box} input[name=diterima]`, '118');
  assert.match(await clickAndWait(`${box} [data-testid=konfirmasi]`), /dikonfirmasi/);
  await page.waitForSelector(`[data-testid=diterima] ${card}`);

  const done = await getAuth(`/api/v1/logistik/permintaan/${id}`);
  assert.equal(done.status, 'diterima');
  assert.deepEqual(done.baris.map((b) => [b.barang, b.dikirim, b.diterima, b.rusak]), [[MASKER, 120, 118, 2]]);
  assert.equal(await stok('BALAIKOTA', MASKER), stockAfter, 'confirmation moves no stock');
  await page.screenshot({ path: path.join(OUT_DIR, 'logistik.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
