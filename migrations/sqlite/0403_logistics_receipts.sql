-- Logistics: receipts at a gudang (penerimaan) with their BAST and checked lines, photos of the
-- logistics papers, and the stock ledger (append-only movements) that keeps logistik_saldo.
-- Quantities in thousandths of the item's base unit.
CREATE TABLE logistik_penerimaan (id INTEGER PRIMARY KEY AUTOINCREMENT, gudang TEXT NOT NULL REFERENCES logistik_gudang(kode),
  komitmen_id INTEGER REFERENCES logistik_komitmen(id), pengirim TEXT NOT NULL,
  bast_nomor TEXT NOT NULL, bast_tanggal DATE NOT NULL, catatan TEXT, actor TEXT NOT NULL, created_at DATETIME NOT NULL);
-- One BAST number, one receipt.
CREATE UNIQUE INDEX logistik_penerimaan_bast ON logistik_penerimaan (bast_nomor);
CREATE INDEX logistik_penerimaan_gudang ON logistik_penerimaan (gudang, id);
CREATE TABLE logistik_penerimaan_baris (penerimaan_id INTEGER NOT NULL REFERENCES logistik_penerimaan(id), no INTEGER NOT NULL,
  barang TEXT NOT NULL REFERENCES logistik_barang(kode), lot TEXT NOT NULL, kedaluwarsa DATE,
  diumumkan INTEGER NOT NULL CHECK (diumumkan > 0), diterima INTEGER NOT NULL CHECK (diterima >= 0),
  ditolak INTEGER NOT NULL CHECK (ditolak >= 0),
  alasan_tolak TEXT CHECK (alasan_tolak IN ('rusak', 'kedaluwarsa', 'tidak_sesuai_spesifikasi')), kondisi TEXT,
  CHECK (diterima + ditolak <= diumumkan), PRIMARY KEY (penerimaan_id, no));
-- Photos of a logistics paper (dokumen 'penerimaan', later the units' receipt confirmations):
-- the bytes are in the AttachmentStore under a content-hash key, each image once per paper.
CREATE TABLE logistik_foto (id INTEGER PRIMARY KEY AUTOINCREMENT, dokumen TEXT NOT NULL, dokumen_id INTEGER NOT NULL,
  storage_key TEXT NOT NULL, content_type TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,
  actor TEXT NOT NULL, created_at DATETIME NOT NULL, UNIQUE (dokumen, dokumen_id, sha256));
-- The stock ledger: every movement in or out of a gudang, never changed or removed; the balance
-- per gudang × barang × lot (logistik_saldo) is written in the same transaction.
CREATE TABLE logistik_mutasi (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL,
  jenis TEXT NOT NULL CHECK (jenis IN ('penerimaan', 'pengeluaran', 'transfer_keluar', 'transfer_masuk', 'penyesuaian', 'penghapusan', 'retur')),
  gudang TEXT NOT NULL REFERENCES logistik_gudang(kode), barang TEXT NOT NULL REFERENCES logistik_barang(kode),
  lot TEXT NOT NULL, kedaluwarsa DATE, jumlah INTEGER NOT NULL CHECK (jumlah <> 0),
  ref TEXT, alasan TEXT, actor TEXT NOT NULL);
CREATE INDEX logistik_mutasi_gbl ON logistik_mutasi (gudang, barang, lot, id);
CREATE INDEX logistik_mutasi_at ON logistik_mutasi (at, id);
CREATE TRIGGER logistik_mutasi_no_update BEFORE UPDATE ON logistik_mutasi BEGIN SELECT RAISE(ABORT, 'logistik_mutasi is append-only'); END;
CREATE TRIGGER logistik_mutasi_no_delete BEFORE DELETE ON logistik_mutasi BEGIN SELECT RAISE(ABORT, 'logistik_mutasi is append-only'); END;
CREATE INDEX logistik_saldo_kedaluwarsa ON logistik_saldo (kedaluwarsa) WHERE jumlah > 0;
