-- Logistics (Kepgub DKI 659/2020): the catalog of items (barang) and the storage locations (gudang).
-- Both are edited in place with a version number (optimistic concurrency); every change is in audit_log.
CREATE TABLE logistik_barang (kode text PRIMARY KEY, jenis text NOT NULL, nama text NOT NULL,
  spesifikasi text, satuan text NOT NULL, bulat boolean NOT NULL, perlu_kedaluwarsa boolean NOT NULL,
  -- JSON list of {satuan, isi}: packing units and the base units they hold.
  konversi jsonb NOT NULL DEFAULT '[]',
  generated boolean NOT NULL DEFAULT false, versi bigint NOT NULL DEFAULT 1, updated_at timestamptz NOT NULL);
CREATE INDEX logistik_barang_jenis ON logistik_barang (jenis, kode);

CREATE TABLE logistik_gudang (kode text PRIMARY KEY, nama text NOT NULL, alamat text,
  lon double precision NOT NULL, lat double precision NOT NULL,
  -- Located by the atlas when stored or moved.
  kelurahan text NOT NULL, kota text NOT NULL,
  aktif boolean NOT NULL DEFAULT true,
  generated boolean NOT NULL DEFAULT false, versi bigint NOT NULL DEFAULT 1, updated_at timestamptz NOT NULL,
  geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED);
CREATE INDEX logistik_gudang_geom ON logistik_gudang USING gist (geom);
