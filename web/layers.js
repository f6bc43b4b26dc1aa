// The layer switcher: every public point layer the domains publish, drawn over the choropleth
// and clustered at low zoom (MapLibre's GeoJSON clustering). Each layer is fetched when first
// switched on (never on the first-paint path) from its public route, which already leaves out
// what the public must not see: gudang from the OGC collection of src/logistics, complaints from
// the OGC `pengaduan` collection (the Open311 public view: no contact, points rounded to
// ~110 m), KSBB sites (lokbin, loksem, lokasi promosi) from /api/v1/ksbb/sites (no contacts).

const when = new Intl.DateTimeFormat('id-ID', { dateStyle: 'medium', timeZone: 'Asia/Jakarta' });
const num = new Intl.NumberFormat('id-ID');
const JENIS = { lokbin: 'Lokasi binaan', loksem: 'Lokasi sementara', promosi: 'Lokasi promosi' };

/** The public point layers: where their GeoJSON comes from, colour, and what a popup shows. */
export const POINT_LAYERS = [
  {
    id: 'gudang', label: 'Gudang logistik', url: '/ogc/collections/gudang/items?limit=10000', color: '#6a3d9a',
    popup: (p) => [p.nama, p.alamat || ''],
  },
  {
    id: 'pengaduan', label: 'Pengaduan warga (lokasi dibulatkan ±110 m)', url: '/ogc/collections/pengaduan/items?limit=10000', color: '#d7301f',
    popup: (p) => [p.category_label || p.category, `${p.open ? 'Terbuka' : 'Selesai'} · ${p.kelurahan_nama || ''} · ${p.created_at ? when.format(new Date(p.created_at)) : ''}`],
  },
  {
    id: 'umkm', label: 'Lokasi UMKM (lokbin, loksem, promosi)', url: '/api/v1/ksbb/sites', color: '#1b7837',
    popup: (p) => [p.nama, `${JENIS[p.jenis] || p.jenis}${Number.isFinite(p.kapasitas) ? ` · kapasitas ${num.format(p.kapasitas)}` : ''}`],
  },
];

/** Style layer ids of the point layers that take clicks (so the map does not also select an area). */
export const pointLayerIds = () => POINT_LAYERS.flatMap((l) => [`pt-${l.id}-point`, `pt-${l.id}-cluster`]);

async function fetchLayer(l) {
  const res = await fetch(l.url, { cache: 'no-cache', headers: { accept: 'application/geo+json, application/json' } });
  if (!res.ok) throw new Error(`${l.label}: HTTP ${res.status}`);
  const body = await res.json();
  // Keep only points: the map draws sites, not outlines.
  return { type: 'FeatureCollection', features: (body.features || []).filter((f) => f.geometry?.type === 'Point') };
}

function addLayer(map, l, data) {
  const src = `pt-${l.id}`;
  map.addSource(src, { type: 'geojson', data, cluster: true, clusterMaxZoom: 14, clusterRadius: 40 });
  map.addLayer({
    id: `${src}-cluster`, type: 'circle', source: src, filter: ['has', 'point_count'],
    paint: {
      'circle-color': l.color, 'circle-opacity': 0.85, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5,
      'circle-radius': ['step', ['get', 'point_count'], 11, 10, 14, 100, 18],
    },
  });
  map.addLayer({
    id: `${src}-count`, type: 'symbol', source: src, filter: ['has', 'point_count'],
    layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-font': ['Noto Sans Bold'], 'text-size': 11, 'text-allow-overlap': true },
    paint: { 'text-color': '#fff' },
  });
  map.addLayer({
    id: `${src}-point`, type: 'circle', source: src, filter: ['!', ['has', 'point_count']],
    paint: { 'circle-color': l.color, 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
  });
}

function setVisible(map, l, on) {
  for (const suffix of ['cluster', 'count', 'point']) {
    const id = `pt-${l.id}-${suffix}`;
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }
}

/** Builds the switcher's checkboxes and wires them to the map; `maplibregl` for the popups. */
export function setupLayers(map, maplibregl) {
  const list = document.getElementById('layers-list');
  const popup = new maplibregl.Popup({ closeButton: true, className: 'site-pop', offset: 10 });
  for (const l of POINT_LAYERS) {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.dataset.testid = `layer-${l.id}`;
    const sw = document.createElement('span');
    sw.className = 'dot';
    sw.style.background = l.color;
    const count = document.createElement('span');
    count.className = 'muted';
    count.dataset.testid = `layer-count-${l.id}`;
    label.append(box, sw, document.createTextNode(` ${l.label} `), count);
    li.append(label);
    list.append(li);

    box.addEventListener('change', async () => {
      if (!box.checked) { setVisible(map, l, false); return; }
      box.disabled = true;
      try {
        const data = await fetchLayer(l);
        const src = map.getSource(`pt-${l.id}`);
        if (src) src.setData(data);
        else addLayer(map, l, data);
        setVisible(map, l, box.checked);
        count.textContent = `(${num.format(data.features.length)})`;
        count.dataset.count = String(data.features.length);
      } catch (err) {
        console.error(err);
        count.textContent = '(gagal dimuat)';
        box.checked = false;
      } finally {
        box.disabled = false;
      }
    });

    map.on('click', `pt-${l.id}-cluster`, async (e) => {
      const f = e.features[0];
      const zoom = await map.getSource(`pt-${l.id}`).getClusterExpansionZoom(f.properties.cluster_id);
      map.easeTo({ center: f.geometry.coordinates, zoom });
    });
    map.on('click', `pt-${l.id}-point`, (e) => {
      const f = e.features[0];
      const [title, detail] = l.popup(f.properties || {});
      popup.setLngLat(f.geometry.coordinates).setHTML('<strong></strong><br><span></span>').addTo(map);
      const el = popup.getElement();
      el.dataset.testid = 'site-popup';
      el.querySelector('strong').textContent = title || l.label;
      el.querySelector('span').textContent = detail || '';
    });
    for (const suffix of ['cluster', 'point']) {
      map.on('mouseenter', `pt-${l.id}-${suffix}`, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', `pt-${l.id}-${suffix}`, () => { map.getCanvas().style.cursor = ''; });
    }
  }
}
