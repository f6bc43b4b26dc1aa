-- Logistics: receipts at a gudang (penerimaan) with their BAST and checked lines, photos of the
-- logistics papers, and the stock ledger (append-only movements) that keeps logistik_saldo.
-- Quantities in thousandths of the item's base unit.
CREATE TABLE logistik_penerimaan (id bigserial PRIMARY KEY, gudang text NOT NULL REFERENCES logistik_gudang(kode),
  komitmen_id bigint REFERENCES logistik_komitmen(id), pengirim text NOT NULL,
  bast_nomor text NOT NULL, bast_tanggal date NOT NULL, catatan text, actor text NOT NULL, created_at timestamptz NOT NULL);
-- One BAST number, one receipt.
CREATE UNIQUE INDEX logistik_penerimaan_bast ON logistik_penerimaan (bast_nomor);
CREATE INDEX logistik_penerimaan_gudang ON logistik_penerimaan (gudang, id);
CREATE TABLE logistik_penerimaan_baris (penerimaan_id bigint NOT NULL REFERENCES logistik_penerimaan(id), no integer NOT NULL,
  barang text NOT NULL REFERENCES logistik_barang(kode), lot text NOT NULL, kedaluwarsa date,
  diumumkan bigint NOT NULL CHECK (diumumkan > 0), diterima bigint NOT NULL CHECK (diterima >= 0),
  ditolak bigint NOT NULL CHECK (ditolak >= 0),
  alasan_tolak text CHECK (alasan_tolak IN ('rusak', 'kedaluwarsa', 'tidak_sesuai_spesifikasi')), kondisi text,
  CHECK (diterima + ditolak <= diumumkan), PRIMARY KEY (penerimaan_id, no));
-- Photos of a logistics paper (dokumen 'penerimaan', later the units' receipt confirmations):
-- the bytes are in the AttachmentStore under a content-hash key, each image once per paper.
CREATE TABLE logistik_foto (id bigserial PRIMARY KEY, dokumen text NOT NULL, dokumen_id bigint NOT NULL,
  storage_key text NOT NULL, content_type text NOT NULL, bytes bigint NOT NULL, sha256 text NOT NULL,
  actor text NOT NULL, created_at timestamptz NOT NULL, UNIQUE (dokumen, dokumen_id, sha256));
-- The stock ledger: every movement in or out of a gudang, never changed or removed; the balance
-- per gudang × barang × lot (logistik_saldo) is written in the same transaction.
CREATE TABLE logistik_mutasi (id bigserial PRIMARY KEY, at timestamptz NOT NULL,
  jenis text NOT NULL CHECK (jenis IN ('penerimaan', 'pengeluaran', 'transfer_keluar', 'transfer_masuk', 'penyesuaian', 'penghapusan', 'retur')),
  gudang text NOT NULL REFERENCES logistik_gudang(kode), barang text NOT NULL REFERENCES logistik_barang(kode),
  lot text NOT NULL, kedaluwarsa date, jumlah bigint NOT NULL CHECK (jumlah <> 0),
  ref text, alasan text, actor text NOT NULL);
CREATE INDEX logistik_mutasi_gbl ON logistik_mutasi (gudang, barang, lot, id);
CREATE INDEX logistik_mutasi_at ON logistik_mutasi (at, id);
CREATE TRIGGER logistik_mutasi_no_change BEFORE UPDATE OR DELETE ON logistik_mutasi
  FOR EACH ROW EXECUTE FUNCTION logistik_append_only();
CREATE INDEX logistik_saldo_kedaluwarsa ON logistik_saldo (kedaluwarsa) WHERE jumlah > 0;
