// The RW/Lurah verification page (web/penerima.html, issue 12 step 5) in headless Chromium
// against a running sigap: candidates are imported, matched and assessed with the CLI on the
// server's store, then operators paste RW and Lurah tokens. An RW token sees only its RW, a bulk
// accept changes exactly the page shown, a refusal without a reason is refused with the API's
// message, a Lurah returns a refused household to the kecamatan, and no full NIK or No. KK ever
// reaches the page's DOM or its network answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN, BASE, OUT_DIR, openBrowser, requireServer } from './lib.js';

const SIGAP_BIN = process.env.SIGAP_BIN || '';
const SIGAP_DB = process.env.SIGAP_DB || '';
// Test keys (the import seals NIK/No. KK with them; the server itself reads masked values only).
const KEYS = {
  SIGAP_PII_KEY: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  SIGAP_PII_HASH_KEY: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
};
const KEL = '31.71.01.1002';
const RW_A = `${KEL}.001`;
const RW_B = `${KEL}.002`;
const PAGE = 10;

const FIRST = ['Siti', 'Budi', 'Agus', 'Dewi', 'Rina', 'Joko', 'Wati', 'Hendra', 'Yanti', 'Rudi', 'Lina', 'Tono', 'Sri', 'Eko'];
const LAST = ['Aminah', 'Santoso', 'Hidayat', 'Lestari', 'Pratama', 'Kurniawan', 'Wijaya', 'Susanti', 'Nugroho', 'Rahayu'];
const pad = (n, w) => String(n).padStart(w, '0');

/** Generated candidates: 25 in RW A (three pages of 10), 3 in RW B; NIKs valid DKI numbers. */
const people = Array.from({ length: 28 }, (_, i) => {
  const n = i + 1;
  const female = n % 2 === 0;
  const day = (n % 28) + 1 + (female ? 40 : 0);
  return {
    nik: `317101${pad(day, 2)}${pad((n % 12) + 1, 2)}85${pad(n, 4)}`,
    kk: `3171010101200${pad(n, 3)}`,
    nama: `${FIRST[n % FIRST.length]} ${LAST[(n * 7) % LAST.length]} ${String.fromCharCode(65 + (n % 26))}${n}`,
    alamat: `Jl. Uji Coba Gang ${n} No. ${n * 3}`,
    rt: pad((n % 5) + 1, 3),
    rw: n <= 25 ? RW_A : RW_B,
  };
});
const SECRETS = people.flatMap((p) => [p.nik, p.kk]);

function sigap(...args) {
  return execFileSync(SIGAP_BIN, ['--database-url', SIGAP_DB, ...args], { env: { ...process.env, ...KEYS }, encoding: 'utf8' });
}
const token = (role, unit) => sigap('token', 'create', '--role', role, '--unit', unit).trim().split(/\s+/).pop();

let tmp;
let browser;
let page;
const pageErrors = [];
/** Every API answer the page received, as text (checked for full numbers). */
const answers = [];

async function adminList(rw) {
  const res = await fetch(`${BASE}/api/v1/recipients/households?rw=${rw}&limit=500`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(res.status, 200);
  return (await res.json()).households;
}

before(async () => {
  requireServer();
  assert.ok(SIGAP_BIN && SIGAP_DB, 'SIGAP_BIN/SIGAP_DB not set: run through tests/browser/run.sh');
  await mkdir(OUT_DIR, { recursive: true });
  tmp = await mkdtemp(path.join(tmpdir(), 'sigap-penerima-'));
  const csv = ['nik,no_kk,nama,alamat,rt,rw,jumlah_anggota']
    .concat(people.map((p, i) => `${p.nik},${p.kk},${p.nama},${p.alamat},${p.rt},${p.rw},${(i % 6) + 1}`));
  await writeFile(path.join(tmp, 'calon.csv'), `${csv.join('\n')}\n`);
  const reg = ['nik,no_kk,nama,status,keterangan'].concat(people.map((p) => `${p.nik},${p.kk},${p.nama},hidup,`));
  await writeFile(path.join(tmp, 'dukcapil.csv'), `${reg.join('\n')}\n`);
  sigap('recipients', 'import', '--sumber', 'dinsos', path.join(tmp, 'calon.csv'));
  sigap('recipients', 'match', '--register', path.join(tmp, 'dukcapil.csv'));
  sigap('recipients', 'eligibility');

  browser = await openBrowser({ viewport: { width: 1400, height: 900 }, pageErrors });
  page = browser.page;
  page.on('response', async (res) => {
    if (!res.url().includes('/api/')) return;
    try {
      answers.push(await res.text());
    } catch {
      // A body the browser did not keep (redirects): nothing to check.
    }
  });
});

after(async () => {
  await browser?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const rows = () => page.$$eval('#tabel tbody tr', (trs) => trs.map((tr) => ({
  id: Number(tr.dataset.id),
  cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
})));

/** Waits until the page has re-rendered after `action` (the body's stamp changes). */
async function rendered(action) {
  const before = await page.evaluate(() => document.body.dataset.loaded || '');
  await action();
  await page.waitForFunction((b) => (document.body.dataset.loaded || '') !== b, before, { timeout: 30_000 });
}

async function login(tok, size = PAGE) {
  await page.goto(`${BASE}/penerima.html`);
  await page.fill('#token', tok);
  await rendered(() => page.click('#masuk button[type=submit]'));
  if ((await page.inputValue('#ukuran')) !== String(size)) await rendered(() => page.selectOption('#ukuran', String(size)));
}

test('an unknown token is refused with the API message and shows no list', async () => {
  await page.goto(`${BASE}/penerima.html`);
  await page.fill('#token', 'bukan-token');
  await page.click('#masuk button[type=submit]');
  await page.waitForSelector('#pesan:not([hidden])');
  assert.match(await page.textContent('#pesan'), /Token tidak dikenal/);
  assert.equal(await page.isHidden('#daftar'), true);
});

test('RW token: own RW only, paged, bulk accept of exactly the page, refusal needs a reason', async () => {
  await login(token('rw', RW_A));
  // Walk every page: 25 households, all of RW A (shown as RW 001), none of RW B.
  const seen = [];
  for (;;) {
    const r = await rows();
    assert.ok(r.length <= PAGE);
    seen.push(...r);
    if (await page.isDisabled('#berikutnya')) break;
    await rendered(() => page.click('#berikutnya'));
  }
  assert.equal(seen.length, 25);
  assert.ok(seen.every((r) => r.cells[5] === '001'), 'only RW 001');
  const namesB = people.filter((p) => p.rw === RW_B).map((p) => p.nama);
  assert.ok(seen.every((r) => !namesB.includes(r.cells[2])), 'no household of RW B');
  assert.ok(seen.every((r) => /^3171\*+\d\d$/.test(r.cells[1])), 'NIK masked');

  // Back to the first page; accept it in bulk.
  while (!(await page.isDisabled('#sebelumnya'))) await rendered(() => page.click('#sebelumnya'));
  const first = (await rows()).map((r) => r.id);
  assert.equal(first.length, PAGE);
  await rendered(() => page.click('#terima-halaman'));
  assert.match(await page.textContent('#pesan'), /Diterima: 10 rumah tangga/);
  const after = await adminList(RW_A);
  assert.deepEqual(after.filter((h) => h.verifikasi === 'diterima_rw').map((h) => h.id).sort(), [...first].sort(),
    'exactly the page is accepted');
  assert.ok(after.filter((h) => !first.includes(h.id)).every((h) => h.verifikasi == null), 'the other pages are untouched');
  assert.ok((await rows()).every((r) => r.cells[8] === 'Diterima RW'));

  // Page 2: refusing without a reason is refused by the API, its message shown, nothing changed.
  await rendered(() => page.click('#berikutnya'));
  const target = (await rows())[0].id;
  await page.click(`#tabel tr[data-id="${target}"] button[data-keputusan=ditolak]`);
  await page.waitForFunction(() => /alasan/.test(document.getElementById('pesan').textContent));
  const msg = await page.textContent('#pesan');
  assert.match(msg, /Ditolak server: .*needs a reason \(alasan\).*items\[0\]\.alasan/);
  assert.equal((await adminList(RW_A)).find((h) => h.id === target).verifikasi, null);
  // With a reason it is refused.
  await page.fill(`#tabel tr[data-id="${target}"] input.alasan`, 'sudah pindah domisili');
  await rendered(() => page.click(`#tabel tr[data-id="${target}"] button[data-keputusan=ditolak]`));
  assert.equal((await adminList(RW_A)).find((h) => h.id === target).verifikasi, 'ditolak_rw');
  await page.screenshot({ path: path.join(OUT_DIR, 'penerima-rw.png'), fullPage: true });

  // RW B's token sees its own three only.
  await login(token('rw', RW_B));
  const b = await rows();
  assert.equal(b.length, 3);
  assert.ok(b.every((r) => r.cells[5] === '002'));
});

test('Lurah token: whole kelurahan, a refused household returned to the kecamatan is shown so', async () => {
  await login(token('lurah', KEL), 50);
  const all = await rows();
  assert.equal(all.length, 28, 'the kelurahan: both RWs');
  const refused = all.find((r) => r.cells[8] === 'Ditolak RW');
  assert.ok(refused, 'the household the RW refused');
  const tr = `#tabel tr[data-id="${refused.id}"]`;
  await page.fill(`${tr} input.alasan`, 'tidak sesuai kriteria');
  await rendered(() => page.click(`${tr} button[data-keputusan=dikembalikan]`));
  assert.equal(await page.textContent(`${tr} td.status`), 'Dikembalikan ke kecamatan');
  assert.equal(await page.isDisabled(`${tr} button[data-keputusan=diterima]`), true, 'final: no more decisions');
  assert.equal((await adminList(RW_A)).find((h) => h.id === refused.id).verifikasi, 'dikembalikan_kecamatan');
  await page.screenshot({ path: path.join(OUT_DIR, 'penerima-lurah.png'), fullPage: true });
});

test('no full NIK or No. KK in the DOM or any API answer; no page errors', async () => {
  const dom = await page.content();
  for (const s of SECRETS) assert.ok(!dom.includes(s), 'a full number in the DOM');
  assert.ok(answers.length > 10, `answers captured: ${answers.length}`);
  for (const a of answers) for (const s of SECRETS) assert.ok(!a.includes(s), 'a full number in an API answer');
  assert.deepEqual(pageErrors, []);
});
