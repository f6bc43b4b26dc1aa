// The table view of the level on the map: one row per area with the same numbers as the map
// (the progress JSON the map joins to its tiles), sortable by any column, and the links to the
// open-data downloads (CSV, GeoJSON) of that level from /api/v1/bansos/progress/export.

const num = new Intl.NumberFormat('id-ID');
const pct = new Intl.NumberFormat('id-ID', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const collator = new Intl.Collator('id-ID', { numeric: true });

/** Columns: key in a row, header, numeric or not. */
const COLUMNS = [
  { key: 'nama', label: 'Wilayah', numeric: false },
  { key: 'target_kk', label: 'Target KK', numeric: true },
  { key: 'served_kk', label: 'Terlayani', numeric: true },
  { key: 'percent', label: '%', numeric: true },
];

/** Current sort: column and direction; clicking the sorted column flips it. */
const sort = { key: 'nama', dir: 1 };

/** Sorted copy: missing numbers (an area without target has no percent) always last. */
export function sortRows(rows, key, dir) {
  const numeric = COLUMNS.find((c) => c.key === key)?.numeric;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (numeric) {
      const fx = Number.isFinite(x);
      const fy = Number.isFinite(y);
      if (fx !== fy) return fx ? -1 : 1;
      if (fx && x !== y) return (x - y) * dir;
    } else if (x !== y) {
      return collator.compare(String(x ?? ''), String(y ?? '')) * dir;
    }
    return collator.compare(a.kode, b.kode);
  });
}

/** The export URL of a level (and parent) in a format. */
export function exportUrl(level, parent, format) {
  const q = new URLSearchParams({ level });
  if (parent) q.set('parent', parent);
  q.set('format', format);
  return `/api/v1/bansos/progress/export?${q}`;
}

let last = { sig: '', view: null };

/**
 * Renders `view` = { level, per, parent, rows: [{kode, nama, target_kk, served_kk, percent}],
 * onSelect(kode, nama) } into the table card; does nothing when neither the rows nor the sort
 * changed (the page re-renders on every poll).
 */
export function renderTable(view) {
  const sig = JSON.stringify([view.level, view.parent, view.rows, sort]);
  last.view = view;
  if (sig === last.sig) return;
  last.sig = sig;
  document.getElementById('table-level').textContent = view.per;
  for (const [id, format] of [['dl-csv', 'csv'], ['dl-geojson', 'geojson']]) {
    const a = document.getElementById(id);
    a.href = exportUrl(view.level, view.parent, format);
    a.setAttribute('download', `bansos-progres-${view.level}${view.parent ? `-${view.parent}` : ''}.${format}`);
  }
  const table = document.getElementById('area-table');
  table.querySelector('caption').textContent = `Progres KK terlayani ${view.per}${view.parent ? ` di ${view.parentName || view.parent}` : ''}: ${num.format(view.rows.length)} wilayah`;
  const head = table.querySelector('thead tr');
  head.replaceChildren(...COLUMNS.map((c) => {
    const th = document.createElement('th');
    th.scope = 'col';
    if (c.numeric) th.className = 'num';
    th.setAttribute('aria-sort', sort.key === c.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.testid = `sort-${c.key}`;
    b.textContent = c.label + (sort.key === c.key ? (sort.dir > 0 ? ' ▲' : ' ▼') : '');
    b.addEventListener('click', () => {
      // Numbers sort largest first on the first click, names A→Z.
      if (sort.key === c.key) sort.dir = -sort.dir;
      else { sort.key = c.key; sort.dir = c.numeric ? -1 : 1; }
      renderTable(last.view);
      table.querySelector(`[data-testid="sort-${c.key}"]`)?.focus();
    });
    th.append(b);
    return th;
  }));
  const body = table.querySelector('tbody');
  body.replaceChildren(...sortRows(view.rows, sort.key, sort.dir).map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.testid = 'table-row';
    tr.dataset.kode = r.kode;
    const name = document.createElement('th');
    name.scope = 'row';
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link';
    b.textContent = r.nama;
    b.title = `Kode ${r.kode}`;
    b.addEventListener('click', () => view.onSelect(r.kode, r.nama));
    name.append(b);
    const cell = (text, key) => {
      const td = document.createElement('td');
      td.className = 'num';
      td.dataset.col = key;
      td.textContent = text;
      return td;
    };
    tr.append(name,
      cell(Number.isFinite(r.target_kk) ? num.format(r.target_kk) : '–', 'target_kk'),
      cell(Number.isFinite(r.served_kk) ? num.format(r.served_kk) : '–', 'served_kk'),
      cell(Number.isFinite(r.percent) ? pct.format(r.percent / 100) : '–', 'percent'));
    return tr;
  }));
}

/** The show/hide button of the table (collapsed by default: the side panel stays short on a phone). */
export function setupTable() {
  const toggle = document.getElementById('table-toggle');
  const wrap = document.getElementById('table-wrap');
  toggle.addEventListener('click', () => {
    const open = wrap.hidden;
    wrap.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Sembunyikan tabel' : 'Tampilkan tabel';
  });
}
