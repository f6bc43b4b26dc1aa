-- Logistics (Kepgub DKI 659/2020): the catalog of items (barang) and the storage locations (gudang).
-- Both are edited in place with a version number (optimistic concurrency); every change is in audit_log.
CREATE TABLE logistik_barang (kode TEXT PRIMARY KEY, jenis TEXT NOT NULL, nama TEXT NOT NULL,
  spesifikasi TEXT, satuan TEXT NOT NULL, bulat BOOLEAN NOT NULL, perlu_kedaluwarsa BOOLEAN NOT NULL,
  -- JSON list of {satuan, isi}: packing units and the base units they hold.
  konversi TEXT NOT NULL DEFAULT '[]',
  generated BOOLEAN NOT NULL DEFAULT 0, versi INTEGER NOT NULL DEFAULT 1, updated_at DATETIME NOT NULL);
CREATE INDEX logistik_barang_jenis ON logistik_barang (jenis, kode);

CREATE TABLE logistik_gudang (kode TEXT PRIMARY KEY, nama TEXT NOT NULL, alamat TEXT,
  lon DOUBLE NOT NULL, lat DOUBLE NOT NULL,
  -- Located by the atlas when stored or moved.
  kelurahan TEXT NOT NULL, kota TEXT NOT NULL,
  aktif BOOLEAN NOT NULL DEFAULT 1,
  generated BOOLEAN NOT NULL DEFAULT 0, versi INTEGER NOT NULL DEFAULT 1, updated_at DATETIME NOT NULL);
