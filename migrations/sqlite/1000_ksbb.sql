-- KSBB UMKM (Instruksi Sekda DKI 56/2020): the sites Citata manages (lokbin, loksem, lokasi
-- promosi) and the UMKM target data the dinas verify. Sites are edited in place under a version
-- number (optimistic concurrency); every change is in audit_log (entity ksbb_site), which is the
-- site's history. UMKM rows hold personal data (owner name, phone): not registered in
-- gpkg_contents, so GDAL/QGIS do not list them, and masked in every API answer but one audited read.
CREATE TABLE ksbb_site (id INTEGER PRIMARY KEY AUTOINCREMENT, kode TEXT NOT NULL UNIQUE, nama TEXT NOT NULL,
  jenis TEXT NOT NULL CHECK (jenis IN ('lokbin', 'loksem', 'promosi')),
  lon REAL NOT NULL, lat REAL NOT NULL, footprint TEXT,
  kapasitas INTEGER NOT NULL CHECK (kapasitas >= 0), kelurahan TEXT NOT NULL,
  pj_nama TEXT, pj_telepon TEXT,
  status TEXT NOT NULL CHECK (status IN ('aktif', 'nonaktif')), version INTEGER NOT NULL CHECK (version >= 1),
  generated BOOLEAN NOT NULL DEFAULT 0, sumber TEXT, updated_by TEXT NOT NULL, updated_at DATETIME NOT NULL);
CREATE INDEX ksbb_site_kelurahan ON ksbb_site (kelurahan);

CREATE TABLE ksbb_umkm (id INTEGER PRIMARY KEY AUTOINCREMENT, kode TEXT NOT NULL UNIQUE, nama_usaha TEXT NOT NULL,
  nama_pemilik TEXT NOT NULL, telepon TEXT, sektor TEXT NOT NULL,
  dinas TEXT NOT NULL CHECK (dinas IN ('ppkukm', 'kpkp', 'ppapp', 'sosial', 'parekraf', 'kebudayaan', 'nakertransgi')),
  status_verifikasi TEXT NOT NULL CHECK (status_verifikasi IN ('belum', 'terverifikasi', 'ditolak')),
  kelurahan TEXT, site_id INTEGER REFERENCES ksbb_site(id),
  generated BOOLEAN NOT NULL DEFAULT 0, updated_by TEXT NOT NULL, updated_at DATETIME NOT NULL);
CREATE INDEX ksbb_umkm_site ON ksbb_umkm (site_id);
CREATE INDEX ksbb_umkm_kelurahan ON ksbb_umkm (kelurahan);
