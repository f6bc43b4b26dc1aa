-- Logistics: units' requests (permintaan) → verification by the Bidang Logistik → dispatch by the
-- Sekretariat (stock leaves as 'pengeluaran' movements referring to permintaan/<id>) → the unit's
-- receipt confirmation with its BAST. Quantities in thousandths of the item's base unit.
CREATE TABLE logistik_permintaan (id INTEGER PRIMARY KEY AUTOINCREMENT, unit TEXT NOT NULL,
  lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, kelurahan TEXT NOT NULL, kota TEXT NOT NULL, tempat TEXT,
  status TEXT NOT NULL CHECK (status IN ('diajukan', 'dikembalikan', 'disetujui', 'dikirim', 'diterima')),
  gudang TEXT REFERENCES logistik_gudang(kode), surat_jalan TEXT, bast_nomor TEXT, bast_tanggal DATE,
  catatan TEXT, versi INTEGER NOT NULL DEFAULT 1, actor TEXT NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE INDEX logistik_permintaan_status ON logistik_permintaan (status, id);
CREATE INDEX logistik_permintaan_unit ON logistik_permintaan (unit, id);
CREATE UNIQUE INDEX logistik_permintaan_bast ON logistik_permintaan (bast_nomor) WHERE bast_nomor IS NOT NULL;
CREATE TABLE logistik_permintaan_baris (permintaan_id INTEGER NOT NULL REFERENCES logistik_permintaan(id),
  barang TEXT NOT NULL REFERENCES logistik_barang(kode), diminta INTEGER NOT NULL CHECK (diminta > 0),
  disetujui INTEGER CHECK (disetujui >= 0), dikirim INTEGER CHECK (dikirim >= 0),
  diterima INTEGER CHECK (diterima >= 0), rusak INTEGER CHECK (rusak >= 0), kurang INTEGER CHECK (kurang >= 0),
  PRIMARY KEY (permintaan_id, barang));
CREATE TABLE logistik_permintaan_riwayat (id INTEGER PRIMARY KEY AUTOINCREMENT,
  permintaan_id INTEGER NOT NULL REFERENCES logistik_permintaan(id), at DATETIME NOT NULL, actor TEXT NOT NULL,
  dari TEXT, ke TEXT NOT NULL, alasan TEXT);
CREATE INDEX logistik_permintaan_riwayat_p ON logistik_permintaan_riwayat (permintaan_id, id);
CREATE TRIGGER logistik_permintaan_riwayat_no_update BEFORE UPDATE ON logistik_permintaan_riwayat BEGIN SELECT RAISE(ABORT, 'logistik_permintaan_riwayat is append-only'); END;
CREATE TRIGGER logistik_permintaan_riwayat_no_delete BEFORE DELETE ON logistik_permintaan_riwayat BEGIN SELECT RAISE(ABORT, 'logistik_permintaan_riwayat is append-only'); END;
CREATE INDEX logistik_mutasi_ref ON logistik_mutasi (ref) WHERE ref IS NOT NULL;
