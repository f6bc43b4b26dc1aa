// Operator page for the RW and Lurah verification of recipients (issue 12, step 5): the
// operator pastes a token, sees the candidates of its area (NIK and No. KK come masked from the
// API; this page never asks for the full numbers), and accepts, refuses (with a reason) or
// returns to the kecamatan one household or the whole page. Every rule is the API's: the page
// does not pre-check reasons or states, it shows the API's problem message, so the operator
// reads the same rule the service keeps.

const API = '/api/v1/recipients';

const STATUS = {
  diterima_rw: 'Diterima RW',
  ditolak_rw: 'Ditolak RW',
  diterima_lurah: 'Diterima Lurah',
  ditolak_lurah: 'Ditolak Lurah',
  dikembalikan_kecamatan: 'Dikembalikan ke kecamatan',
};
const KELAYAKAN = {
  layak: 'Layak',
  tidak_layak: 'Tidak layak',
  melebihi_kuota: 'Melebihi kuota',
  belum_dipadankan: 'Belum dipadankan',
};

const $ = (id) => document.getElementById(id);

const state = {
  token: '',
  /** `after` cursor of each page shown so far (page i starts after cursors[i]). */
  cursors: [0],
  page: 0,
  next: null,
  households: [],
};

function showMessage(text, kind = 'galat') {
  const p = $('pesan');
  p.textContent = text;
  p.className = `pesan ${kind}`;
  p.hidden = !text;
}

/** The API's problem+json as one Indonesian sentence naming the field. */
async function problemText(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: the status line is all there is.
  }
  const detail = body?.detail || body?.title || res.statusText;
  const field = body?.field ? ` (kolom ${body.field})` : '';
  const what = {
    401: 'Token tidak dikenal atau kedaluwarsa',
    403: 'Di luar wilayah atau wewenang token ini',
    409: 'Data sudah diubah orang lain; muat ulang halaman',
    422: 'Ditolak server',
  }[res.status] || `Galat ${res.status}`;
  return `${what}: ${detail}${field}`;
}

async function api(path, options = {}) {
  const res = await fetch(`${API}${path}`, {
    ...options,
    headers: { accept: 'application/json', authorization: `Bearer ${state.token}`, ...(options.headers || {}) },
  });
  if (!res.ok) throw new Error(await problemText(res));
  return res.json();
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text ?? '–';
  if (cls) td.className = cls;
  return td;
}

function button(label, keputusan, cls) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.dataset.keputusan = keputusan;
  if (cls) b.className = cls;
  return b;
}

function render() {
  const tbody = document.querySelector('#tabel tbody');
  tbody.replaceChildren();
  const size = Number($('ukuran').value);
  state.households.forEach((h, i) => {
    const tr = document.createElement('tr');
    tr.dataset.id = String(h.id);
    tr.dataset.verifikasi = h.verifikasi || '';
    tr.append(
      cell(String(state.page * size + i + 1), 'num'),
      cell(h.nik, 'nik'),
      cell(h.nama),
      cell(h.alamat),
      cell(h.rt),
      cell(h.rw.split('.').pop()),
      cell(String(h.jumlah_anggota), 'num'),
      cell(KELAYAKAN[h.kelayakan] || 'Belum dinilai'),
      cell(STATUS[h.verifikasi] || 'Belum diverifikasi', `status ${h.verifikasi || 'belum'}`),
    );
    const act = document.createElement('td');
    act.className = 'aksi';
    const alasan = document.createElement('input');
    alasan.type = 'text';
    alasan.maxLength = 500;
    alasan.placeholder = 'Alasan';
    alasan.className = 'alasan';
    alasan.setAttribute('aria-label', `Alasan untuk ${h.nama}`);
    act.append(alasan, button('Terima', 'diterima'), button('Tolak', 'ditolak', 'tolak'));
    if (h.verifikasi === 'ditolak_rw' || h.verifikasi === 'ditolak_lurah') {
      act.append(button('Kembalikan ke kecamatan', 'dikembalikan', 'kembali'));
    }
    if (h.verifikasi === 'dikembalikan_kecamatan' || h.kelayakan !== 'layak') {
      act.querySelectorAll('button, input').forEach((el) => { el.disabled = true; });
    }
    tr.append(act);
    tbody.append(tr);
  });
  $('kosong').hidden = state.households.length > 0;
  $('posisi').textContent = `Halaman ${state.page + 1}`;
  $('sebelumnya').disabled = state.page === 0;
  $('berikutnya').disabled = state.next == null;
  document.body.dataset.loaded = String(Date.now());
}

async function load() {
  const size = $('ukuran').value;
  const after = state.cursors[state.page];
  const page = await api(`/households?limit=${size}&after=${after}`);
  state.households = page.households;
  state.next = page.next_after ?? null;
  render();
}

async function reload(message) {
  try {
    await load();
    showMessage(message || '', 'ok');
  } catch (e) {
    showMessage(e.message);
  }
}

/** Sends a page of decisions (all or none, as the API takes them) and reloads the page. */
async function decide(items, done) {
  try {
    const result = await api('/verification', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ items }),
    });
    await reload(`${done}: ${result.length} rumah tangga.`);
  } catch (e) {
    showMessage(e.message);
  }
}

$('masuk').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  state.token = $('token').value.trim();
  state.cursors = [0];
  state.page = 0;
  try {
    await load();
    $('daftar').hidden = false;
    showMessage('');
  } catch (e) {
    $('daftar').hidden = true;
    showMessage(e.message);
  }
});

$('ukuran').addEventListener('change', () => {
  state.cursors = [0];
  state.page = 0;
  reload();
});

$('berikutnya').addEventListener('click', () => {
  if (state.next == null) return;
  state.cursors[state.page + 1] = state.next;
  state.page += 1;
  reload();
});

$('sebelumnya').addEventListener('click', () => {
  if (state.page === 0) return;
  state.page -= 1;
  reload();
});

document.querySelector('#tabel tbody').addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-keputusan]');
  if (!b) return;
  const tr = b.closest('tr');
  const alasan = tr.querySelector('input.alasan').value.trim();
  const item = { household_id: Number(tr.dataset.id), keputusan: b.dataset.keputusan };
  if (alasan) item.alasan = alasan;
  decide([item], 'Tersimpan');
});

/** Bulk decision for the households of this page that can still be decided. */
function bulk(keputusan) {
  const alasan = $('alasan-massal').value.trim();
  const items = state.households
    .filter((h) => h.kelayakan === 'layak' && h.verifikasi !== 'dikembalikan_kecamatan')
    .map((h) => ({ household_id: h.id, keputusan, ...(alasan ? { alasan } : {}) }));
  if (items.length === 0) {
    showMessage('Tidak ada rumah tangga layak di halaman ini yang dapat diputuskan.');
    return;
  }
  decide(items, keputusan === 'diterima' ? 'Diterima' : 'Ditolak');
}

$('terima-halaman').addEventListener('click', () => bulk('diterima'));
$('tolak-halaman').addEventListener('click', () => bulk('ditolak'));
