-- Logistics: units' requests (permintaan) → verification by the Bidang Logistik → dispatch by the
-- Sekretariat (stock leaves as 'pengeluaran' movements referring to permintaan/<id>) → the unit's
-- receipt confirmation with its BAST. Quantities in thousandths of the item's base unit.
CREATE TABLE logistik_permintaan (id bigserial PRIMARY KEY, unit text NOT NULL,
  lon double precision NOT NULL, lat double precision NOT NULL, kelurahan text NOT NULL, kota text NOT NULL, tempat text,
  status text NOT NULL CHECK (status IN ('diajukan', 'dikembalikan', 'disetujui', 'dikirim', 'diterima')),
  gudang text REFERENCES logistik_gudang(kode), surat_jalan text, bast_nomor text, bast_tanggal date,
  catatan text, versi bigint NOT NULL DEFAULT 1, actor text NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE INDEX logistik_permintaan_status ON logistik_permintaan (status, id);
CREATE INDEX logistik_permintaan_unit ON logistik_permintaan (unit, id);
CREATE UNIQUE INDEX logistik_permintaan_bast ON logistik_permintaan (bast_nomor) WHERE bast_nomor IS NOT NULL;
CREATE TABLE logistik_permintaan_baris (permintaan_id bigint NOT NULL REFERENCES logistik_permintaan(id),
  barang text NOT NULL REFERENCES logistik_barang(kode), diminta bigint NOT NULL CHECK (diminta > 0),
  disetujui bigint CHECK (disetujui >= 0), dikirim bigint CHECK (dikirim >= 0),
  diterima bigint CHECK (diterima >= 0), rusak bigint CHECK (rusak >= 0), kurang bigint CHECK (kurang >= 0),
  PRIMARY KEY (permintaan_id, barang));
CREATE TABLE logistik_permintaan_riwayat (id bigserial PRIMARY KEY,
  permintaan_id bigint NOT NULL REFERENCES logistik_permintaan(id), at timestamptz NOT NULL, actor text NOT NULL,
  dari text, ke text NOT NULL, alasan text);
CREATE INDEX logistik_permintaan_riwayat_p ON logistik_permintaan_riwayat (permintaan_id, id);
CREATE TRIGGER logistik_permintaan_riwayat_no_change BEFORE UPDATE OR DELETE ON logistik_permintaan_riwayat
  FOR EACH ROW EXECUTE FUNCTION logistik_append_only();
CREATE INDEX logistik_mutasi_ref ON logistik_mutasi (ref) WHERE ref IS NOT NULL;
