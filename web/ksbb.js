// The public KSBB UMKM page (issue 13 part 8; Lampiran I steps 2 and 9): the site layers
// (lokbin, loksem, promosi) as vector tiles coloured by the share of their UMKM reached, the
// province totals and the per-kota roll-up (GET /api/v1/ksbb/rekap), the collaborators who agreed
// to be shown, and a dashboard for a collaborator who pastes its token (its ID kolaborasi,
// Realisasi forms and discrepancy flags). The token stays in this page's memory only.
import * as maplibregl from '/node_modules/maplibre-gl/dist/maplibre-gl.mjs';

const num = new Intl.NumberFormat('id-ID');
const rp = (v) => `Rp ${num.format(v)}`;
const pct = (v) => `${new Intl.NumberFormat('id-ID', { maximumFractionDigits: 1 }).format(v)}%`;
const JENIS = { lokbin: 'Lokasi binaan', loksem: 'Lokasi sementara', promosi: 'Lokasi promosi' };
const RING = { lokbin: '#1b4332', loksem: '#6a3d9a', promosi: '#1f78b4' };
const BENTUK = { sarana: 'Sarana', pelatihan: 'Pelatihan', pinjaman: 'Pinjaman modal' };
const MONAS = [106.8272, -6.1754];

function tileUrl(template, layer) {
  const t = template.replaceAll('{layer}', layer);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) return t;
  return location.origin + (t.startsWith('/') ? t : `/${t}`);
}

async function getJson(path, token) {
  const res = await fetch(path, { cache: 'no-cache', headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body?.detail || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

/** Fill colour by the share reached: 0, 1–49, 50–99, 100 %. */
const shareColor = ['step', ['get', 'persen'], '#d7301f', 1, '#fdae61', 50, '#a6d96a', 100, '#1a9641'];

function buildStyle(tileTemplate) {
  const sources = {
    basemap: { type: 'vector', tiles: [tileUrl('/tiles/{layer}/{z}/{x}/{y}.mvt', 'basemap')], minzoom: 8, maxzoom: 16,
      attribution: 'Jalan © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL, 2012)' },
    kota: { type: 'vector', tiles: [tileUrl(tileTemplate, 'kota')], minzoom: 4, maxzoom: 12, attribution: 'Batas wilayah: Kemendagri via cahyadsn/wilayah (MIT)' },
  };
  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': '#e6e4df' } },
    { id: 'sea', type: 'fill', source: 'basemap', 'source-layer': 'sea', paint: { 'fill-color': '#c4d9e4' } },
    { id: 'land', type: 'fill', source: 'basemap', 'source-layer': 'land', paint: { 'fill-color': '#f7f5f0' } },
    { id: 'roads', type: 'line', source: 'basemap', 'source-layer': 'roads', paint: { 'line-color': '#a39e96', 'line-width': 0.6, 'line-opacity': 0.6 } },
    { id: 'kota-line', type: 'line', source: 'kota', 'source-layer': 'kota', paint: { 'line-color': '#3b4a5a', 'line-width': 1.2, 'line-opacity': 0.7 } },
  ];
  for (const jenis of Object.keys(JENIS)) {
    sources[jenis] = { type: 'vector', tiles: [tileUrl(tileTemplate, jenis)], minzoom: 8, maxzoom: 16, promoteId: 'kode' };
    layers.push({
      id: `site-${jenis}`, type: 'circle', source: jenis, 'source-layer': jenis,
      paint: {
        'circle-color': shareColor,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 3, 14, 7, 17, 11],
        'circle-stroke-color': RING[jenis],
        'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 9, 1, 14, 2.5],
      },
    });
  }
  return { version: 8, sources, layers };
}

function setupMap(config) {
  const map = new maplibregl.Map({
    container: 'map', style: buildStyle(config.tile_url || '/tiles/{layer}/{z}/{x}/{y}.mvt'), center: MONAS, zoom: 10.6,
    minZoom: 8, maxZoom: 18, attributionControl: { compact: true }, dragRotate: false, pitchWithRotate: false, fadeDuration: 0,
  });
  window.ksbbMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  const popup = new maplibregl.Popup({ closeButton: true, offset: 8 });
  const ids = Object.keys(JENIS).map((j) => `site-${j}`);
  map.on('click', (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: ids })[0];
    if (!f) return;
    const p = f.properties;
    popup.setLngLat(f.geometry.coordinates).setHTML('<strong></strong><br><span></span><br><small></small>').addTo(map);
    const el = popup.getElement();
    el.dataset.testid = 'ksbb-popup';
    el.querySelector('strong').textContent = p.nama;
    el.querySelector('span').textContent = `${JENIS[p.jenis] || p.jenis} · kapasitas ${num.format(p.kapasitas)} pedagang`;
    el.querySelector('small').textContent = `UMKM ${num.format(p.umkm)} · dijanjikan ${num.format(p.dijanjikan)} · terealisasi ${num.format(p.tercapai)} (${p.persen}%)${p.generated ? ' · data bangkitan' : ''}`;
  });
  for (const id of ids) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('idle', () => {
    const generated = map.queryRenderedFeatures({ layers: ids }).some((f) => f.properties.generated);
    document.getElementById('generated-note').hidden = !generated;
    document.body.dataset.mapIdle = '1';
  });
  return map;
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text;
  tr.append(td);
  return td;
}

function fillRows(testid, rows, cols, empty) {
  const tbody = document.querySelector(`[data-testid="${testid}"] tbody`);
  tbody.replaceChildren();
  if (!rows.length) {
    const tr = document.createElement('tr');
    cell(tr, empty).colSpan = cols.length;
    tbody.append(tr);
    return;
  }
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const c of cols) cell(tr, c(r));
    tbody.append(tr);
  }
}

async function loadPublic() {
  const status = document.getElementById('status');
  try {
    const [rekap, kolaborator] = await Promise.all([getJson('/api/v1/ksbb/rekap?tingkat=kota'), getJson('/api/v1/ksbb/kolaborator/publik')]);
    for (const dd of document.querySelectorAll('[data-testid="ksbb-total"] dd')) {
      const v = rekap.total[dd.dataset.key];
      dd.textContent = dd.dataset.rp ? rp(v) : dd.dataset.pct ? pct(v) : num.format(v);
      dd.dataset.value = String(v);
    }
    fillRows('ksbb-kota', rekap.wilayah, [
      (w) => w.nama, (w) => num.format(w.target_umkm), (w) => num.format(w.umkm_dijanjikan),
      (w) => `${num.format(w.umkm_terealisasi)} (${pct(w.persen_terealisasi)})`, (w) => rp(w.nilai_terealisasi),
    ], 'Belum ada data.');
    const ul = document.getElementById('kolaborator');
    ul.replaceChildren(...kolaborator.map((k) => {
      const li = document.createElement('li');
      li.textContent = `${k.nama} (${k.jenis})`;
      return li;
    }));
    if (!kolaborator.length) ul.textContent = 'Belum ada kolaborator yang ditampilkan.';
    status.textContent = '';
    document.body.dataset.loaded = '1';
  } catch (err) {
    console.error(err);
    status.textContent = `Data KSBB gagal dimuat (${err.message}). Coba muat ulang halaman.`;
  }
}

async function loadDashboard(token) {
  const status = document.getElementById('dasbor-status');
  const box = document.getElementById('dasbor');
  status.textContent = 'Memuat…';
  try {
    const [konf, real, flags] = await Promise.all([
      getJson('/api/v1/ksbb/konfirmasi', token), getJson('/api/v1/ksbb/realisasi', token), getJson('/api/v1/ksbb/flags', token),
    ]);
    fillRows('ksbb-konfirmasi', konf, [
      (k) => k.id_kolaborasi, (k) => BENTUK[k.bentuk] || k.bentuk, (k) => k.uraian,
      (k) => (k.bentuk === 'pinjaman' ? rp(k.jumlah_pinjaman ?? 0) : `${num.format(k.jumlah_paket ?? 0)} × ${rp(k.nilai_per_paket ?? 0)}`),
      (k) => `${k.jadwal_mulai} s.d. ${k.jadwal_selesai}`,
    ], 'Belum ada Konfirmasi.');
    fillRows('ksbb-realisasi', real, [
      (r) => r.id_kolaborasi, (r) => r.jenis, (r) => r.nomor_dokumen, (r) => r.tanggal, (r) => num.format(r.umkm.length),
      (r) => (r.kurang.length ? r.kurang.join(', ') : 'lengkap'),
    ], 'Belum ada laporan realisasi.');
    fillRows('ksbb-flags', flags, [
      (f) => f.id_kolaborasi, (f) => f.jenis, (f) => f.umkm_kode || '–', (f) => `${f.sumber_a}: ${f.nilai_a}`, (f) => `${f.sumber_b}: ${f.nilai_b}`,
      (f) => (f.status === 'terbuka' ? 'terbuka' : `selesai: ${f.catatan || ''}`),
    ], 'Tidak ada perbedaan laporan.');
    box.hidden = false;
    status.classList.add('ok');
    status.textContent = `${num.format(konf.length)} ID kolaborasi, ${num.format(real.length)} laporan realisasi, ${num.format(flags.filter((f) => f.status === 'terbuka').length)} flag terbuka.`;
  } catch (err) {
    box.hidden = true;
    status.classList.remove('ok');
    status.textContent = err.status === 401
      ? 'Token tidak dikenal atau sudah dicabut.'
      : err.status === 403 ? 'Token ini bukan token kolaborator yang disetujui.' : `Dasbor gagal dimuat (${err.message}).`;
  }
}

async function main() {
  const config = await getJson('/web-config.json').catch(() => ({}));
  setupMap(config);
  loadPublic();
  document.getElementById('masuk').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = document.getElementById('token').value.trim();
    if (token) loadDashboard(token);
  });
}

main();
