// The logistics operator page (issue 11 part 10): one page for the main path — stock per gudang,
// a unit's request, the Bidang Logistik's approve/return, the Sekretariat's dispatch, the unit's
// receipt confirmation — over the same API everyone else uses, with the token the operator pastes
// (kept in this tab's sessionStorage only). What a token may do is decided by the server; the page
// shows every section and the server's refusal (problem+json detail and field) when a role may not.

const num = new Intl.NumberFormat('id-ID', { maximumFractionDigits: 3 });
const $ = (sel, root = document) => root.querySelector(sel);
let readyCount = 0;
const state = { token: sessionStorage.getItem('sigap.logistik.token') || '', barang: new Map(), gudang: new Map(), fotoPath: null };

/** Today in Jakarta (UTC+7) as YYYY-MM-DD: BAST dates may not be after it. */
function todayJakarta() {
  return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
}

function newKey() {
  return globalThis.crypto?.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/** A problem+json answer as one Indonesian line naming the field. */
class ApiError extends Error {
  constructor(status, body) {
    const field = body?.field ? ` (kolom ${body.field})` : '';
    super(`${body?.detail || body?.title || `HTTP ${status}`}${field}`);
    this.status = status;
    this.field = body?.field;
  }
}

async function api(method, path, body, { raw = false, contentType } = {}) {
  const headers = { accept: 'application/json' };
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  if (method !== 'GET') headers['idempotency-key'] = newKey();
  let payload;
  if (raw) {
    payload = body;
    headers['content-type'] = contentType || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

function say(text, kind = 'ok') {
  const p = $('#pesan');
  p.textContent = text;
  p.className = `pesan ${kind}`;
}

/** Runs an action, says what came of it and reloads the lists; a refusal is shown, not thrown,
 *  and leaves what the operator typed in place to be corrected (unless the record moved: 404/409). */
async function act(label, fn) {
  try {
    const out = await fn();
    say(label(out), 'ok');
  } catch (e) {
    say(`Gagal: ${e.message}`, 'error');
    if (e.status !== 404 && e.status !== 409) {
      document.body.dataset.ready = String(++readyCount);
      return;
    }
  }
  await refresh();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-') || k === 'name' || k === 'type' || k === 'value' || k === 'placeholder' || k === 'min' || k === 'step' || k === 'accept' || k === 'aria-label') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children.flat()) if (c != null) node.append(c);
  return node;
}

function satuanOf(kode) {
  return state.barang.get(kode)?.satuan || '';
}

function namaBarang(kode) {
  const b = state.barang.get(kode);
  return b ? `${b.nama} (${kode})` : kode;
}

async function loadCatalog() {
  const [barang, gudang] = await Promise.all([api('GET', '/api/v1/logistik/barang'), api('GET', '/api/v1/logistik/gudang')]);
  state.barang = new Map(barang.map((b) => [b.kode, b]));
  state.gudang = new Map(gudang.map((g) => [g.kode, g]));
  const select = $('#minta-form select[name=barang]');
  select.replaceChildren(...barang.map((b) => el('option', { value: b.kode, text: `${b.nama} (${b.kode}, ${b.satuan})` })));
}

/** Whether the API takes photos of a confirmation (added by another part of issue 11). */
async function detectFoto() {
  try {
    const doc = await api('GET', '/api-docs/openapi.json');
    const path = '/api/v1/logistik/permintaan/{id}/foto';
    state.fotoPath = doc?.paths?.[path]?.post ? path : null;
  } catch {
    state.fotoPath = null;
  }
}

async function loadStok() {
  const body = $('#stok-body');
  if (!state.token) return;
  try {
    const lots = await api('GET', '/api/v1/logistik/stok');
    const sum = new Map();
    for (const l of lots) {
      if (l.status === 'kedaluwarsa') continue;
      const key = `${l.gudang}\u0000${l.barang}`;
      sum.set(key, (sum.get(key) || 0) + l.jumlah);
    }
    const rows = [...sum.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, jumlah]) => {
      const [g, b] = key.split('\u0000');
      return el('tr', { 'data-testid': `stok-${g}-${b}` },
        el('td', { text: state.gudang.get(g)?.nama || g }), el('td', { text: namaBarang(b) }),
        el('td', { class: 'n', 'data-jumlah': String(jumlah), text: num.format(jumlah) }), el('td', { text: satuanOf(b) }));
    });
    body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 4, class: 'muted', text: 'Belum ada stok.' }))]));
  } catch (e) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 4, class: 'error', text: e.message })));
  }
}

function lines(p, stage) {
  return el('ul', { class: 'baris' }, p.baris.filter((b) => stage !== 'dikirim' || b.dikirim).map((b) => {
    const parts = [`diminta ${num.format(b.diminta)}`];
    if (b.disetujui != null) parts.push(`disetujui ${num.format(b.disetujui)}`);
    if (b.dikirim != null) parts.push(`dikirim ${num.format(b.dikirim)}`);
    if (b.diterima != null) parts.push(`diterima ${num.format(b.diterima)}, rusak ${num.format(b.rusak)}, kurang ${num.format(b.kurang)}`);
    return el('li', { text: `${namaBarang(b.barang)}: ${parts.join(' · ')} ${satuanOf(b.barang)}` });
  }));
}

function head(p) {
  const where = p.tempat ? `${p.tempat}, ` : '';
  const gudang = p.gudang ? ` · gudang ${state.gudang.get(p.gudang)?.nama || p.gudang}` : '';
  const sj = p.surat_jalan ? ` · surat jalan ${p.surat_jalan}` : '';
  const bast = p.bast_nomor ? ` · BAST ${p.bast_nomor}` : '';
  return el('h3', { text: `Permintaan #${p.id} · ${where}unit ${p.unit}${gudang}${sj}${bast}` });
}

function cardVerifikasi(p) {
  const gudang = el('select', { name: 'gudang', 'aria-label': 'Gudang' },
    el('option', { value: '', text: 'Gudang terdekat yang cukup stok' }),
    [...state.gudang.values()].filter((g) => g.aktif).map((g) => el('option', { value: g.kode, text: g.nama })));
  const alasan = el('input', { name: 'alasan', placeholder: 'Alasan (wajib untuk dikembalikan)', 'aria-label': 'Alasan' });
  const setuju = el('button', { type: 'button', 'data-testid': 'setujui', text: 'Setujui' });
  const kembali = el('button', { type: 'button', class: 'secondary', 'data-testid': 'kembalikan', text: 'Kembalikan' });
  setuju.addEventListener('click', () => act((r) => `Permintaan #${r.id} disetujui dari gudang ${r.gudang}.`, () =>
    api('POST', `/api/v1/logistik/permintaan/${p.id}/verifikasi`, { keputusan: 'setuju', versi: p.versi, gudang: gudang.value || undefined, alasan: alasan.value || undefined })));
  kembali.addEventListener('click', () => act((r) => `Permintaan #${r.id} dikembalikan ke unit.`, () =>
    api('POST', `/api/v1/logistik/permintaan/${p.id}/verifikasi`, { keputusan: 'kembalikan', versi: p.versi, alasan: alasan.value })));
  return el('article', { class: 'item', 'data-testid': `permintaan-${p.id}` }, head(p), lines(p), el('div', { class: 'row' }, gudang, alasan, setuju, kembali));
}

function cardKirim(p) {
  const sj = el('input', { name: 'surat_jalan', placeholder: 'Nomor surat jalan', 'aria-label': 'Nomor surat jalan' });
  const kirim = el('button', { type: 'button', 'data-testid': 'kirim', text: 'Kirim' });
  kirim.addEventListener('click', () => act((r) => `Permintaan #${r.id} dikirim: ${r.kiriman.map((k) => `${num.format(k.jumlah)} ${k.barang} lot ${k.lot}`).join(', ')}.`, () =>
    api('POST', `/api/v1/logistik/permintaan/${p.id}/kirim`, { versi: p.versi, surat_jalan: sj.value })));
  return el('article', { class: 'item', 'data-testid': `permintaan-${p.id}` }, head(p), lines(p), el('div', { class: 'row' }, sj, kirim));
}

function cardTerima(p) {
  const bast = el('input', { name: 'bast_nomor', placeholder: 'Nomor BAST', 'aria-label': 'Nomor BAST' });
  const tanggal = el('input', { name: 'bast_tanggal', type: 'date', value: todayJakarta(), 'aria-label': 'Tanggal BAST' });
  const dikirim = p.baris.filter((b) => b.dikirim);
  const inputs = dikirim.map((b) => {
    const f = (name, value) => el('input', { name, type: 'number', min: '0', step: 'any', value: String(value), 'aria-label': `${name} ${b.barang}` });
    return { barang: b.barang, diterima: f('diterima', b.dikirim), rusak: f('rusak', 0), kurang: f('kurang', 0) };
  });
  const table = el('table', {}, el('thead', {}, el('tr', {}, ['Barang', 'Dikirim', 'Diterima', 'Rusak', 'Kurang'].map((t) => el('th', { text: t })))),
    el('tbody', {}, inputs.map((i, n) => el('tr', {}, el('td', { text: namaBarang(i.barang) }), el('td', { class: 'n', text: num.format(dikirim[n].dikirim) }),
      el('td', {}, i.diterima), el('td', {}, i.rusak), el('td', {}, i.kurang)))));
  const foto = state.fotoPath ? el('input', { type: 'file', name: 'foto', accept: 'image/jpeg,image/png,image/webp', 'aria-label': 'Foto BAST' }) : null;
  const konfirmasi = el('button', { type: 'button', 'data-testid': 'konfirmasi', text: 'Konfirmasi penerimaan' });
  konfirmasi.addEventListener('click', () => act((r) => `Penerimaan permintaan #${r.id} dikonfirmasi (BAST ${r.bast_nomor}).`, async () => {
    const out = await api('POST', `/api/v1/logistik/permintaan/${p.id}/terima`, {
      versi: p.versi, bast_nomor: bast.value, bast_tanggal: tanggal.value,
      baris: inputs.map((i) => ({ barang: i.barang, diterima: Number(i.diterima.value), rusak: Number(i.rusak.value), kurang: Number(i.kurang.value) })),
    });
    for (const file of foto?.files || []) {
      await api('POST', state.fotoPath.replace('{id}', p.id), file, { raw: true, contentType: file.type });
    }
    return out;
  }));
  return el('article', { class: 'item', 'data-testid': `permintaan-${p.id}` }, head(p), table,
    el('div', { class: 'row' }, bast, tanggal, foto, konfirmasi));
}

function cardSelesai(p) {
  return el('article', { class: 'item done', 'data-testid': `permintaan-${p.id}` }, head(p), lines(p));
}

const SECTIONS = [
  ['diajukan', '#masuk', cardVerifikasi],
  ['disetujui', '#siap', cardKirim],
  ['dikirim', '#dikirim', cardTerima],
  ['diterima', '#diterima', cardSelesai],
];
/** Newest requests per section: an operator works the recent ones; older ones stay in the API. */
const PER_SECTION = 20;

async function loadSection([status, sel, card]) {
  const box = $(sel);
  if (!state.token) {
    box.replaceChildren(el('p', { class: 'muted', text: 'Masukkan token untuk melihat permintaan.' }));
    return;
  }
  try {
    const list = (await api('GET', `/api/v1/logistik/permintaan?status=${status}`)).slice(0, PER_SECTION);
    const full = await Promise.all(list.map((p) => api('GET', `/api/v1/logistik/permintaan/${p.id}`)));
    box.replaceChildren(...(full.length ? full.map(card) : [el('p', { class: 'muted', text: 'Tidak ada.' })]));
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error', text: e.message }));
  }
}

async function refresh() {
  await Promise.all([loadStok(), ...SECTIONS.map(loadSection)]);
  document.body.dataset.ready = String(++readyCount);
}

function numberOrUndefined(v) {
  return v === '' || v == null ? undefined : Number(v);
}

function init() {
  $('#token').value = state.token;
  $('#token-state').textContent = state.token ? 'Token dipakai' : 'Belum ada token';
  $('#token-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    state.token = $('#token').value.trim();
    sessionStorage.setItem('sigap.logistik.token', state.token);
    $('#token-state').textContent = state.token ? 'Token dipakai' : 'Belum ada token';
    say('');
    await refresh();
  });
  $('#minta-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const baris = { barang: f.get('barang'), jumlah: Number(f.get('jumlah')) };
    if (f.get('satuan')) baris.satuan = f.get('satuan');
    const body = { unit: f.get('unit'), lon: numberOrUndefined(f.get('lon')), lat: numberOrUndefined(f.get('lat')), tempat: f.get('tempat') || undefined, baris: [baris] };
    act((r) => `Permintaan #${r.id} diajukan.`, () => api('POST', '/api/v1/logistik/permintaan', body));
  });
  Promise.all([loadCatalog(), detectFoto()])
    .catch((e) => say(`Katalog tidak terbaca: ${e.message}`, 'error'))
    .then(refresh);
}

init();
