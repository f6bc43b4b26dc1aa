-- Logistics: pledges (komitmen kolaborator) agreed by the Bidang Kolaborasi, their lines, and the
-- append-only history of their status.
CREATE TABLE logistik_komitmen (id INTEGER PRIMARY KEY AUTOINCREMENT, kolaborator TEXT NOT NULL,
  gudang TEXT NOT NULL REFERENCES logistik_gudang(kode), tanggal_harap DATE NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draf', 'disepakati', 'diterima_sebagian', 'selesai', 'batal')),
  catatan TEXT, versi INTEGER NOT NULL DEFAULT 1, actor TEXT NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE INDEX logistik_komitmen_status ON logistik_komitmen (status, id);
CREATE TABLE logistik_komitmen_baris (komitmen_id INTEGER NOT NULL REFERENCES logistik_komitmen(id),
  barang TEXT NOT NULL REFERENCES logistik_barang(kode), jumlah INTEGER NOT NULL CHECK (jumlah > 0),
  diterima INTEGER NOT NULL DEFAULT 0 CHECK (diterima >= 0), PRIMARY KEY (komitmen_id, barang));
CREATE TABLE logistik_komitmen_riwayat (id INTEGER PRIMARY KEY AUTOINCREMENT,
  komitmen_id INTEGER NOT NULL REFERENCES logistik_komitmen(id), at DATETIME NOT NULL, actor TEXT NOT NULL,
  dari TEXT, ke TEXT NOT NULL, alasan TEXT);
CREATE INDEX logistik_komitmen_riwayat_k ON logistik_komitmen_riwayat (komitmen_id, id);
CREATE TRIGGER logistik_komitmen_riwayat_no_update BEFORE UPDATE ON logistik_komitmen_riwayat BEGIN SELECT RAISE(ABORT, 'logistik_komitmen_riwayat is append-only'); END;
CREATE TRIGGER logistik_komitmen_riwayat_no_delete BEFORE DELETE ON logistik_komitmen_riwayat BEGIN SELECT RAISE(ABORT, 'logistik_komitmen_riwayat is append-only'); END;
