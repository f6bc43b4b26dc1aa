-- KSBB pendamping checks (Lampiran I step 24; diktum KESATU d5, e3): the Sudin of the UMKM's dinas
-- or the Kasatpel of its kecamatan checks with the owner that the goods or the loan reported under
-- an ID kolaborasi really arrived: diterima, tidak_diterima or sebagian (with the amount). One
-- check per UMKM and ID; the amount reported at the time is kept beside it.
CREATE TABLE ksbb_verifikasi (id INTEGER PRIMARY KEY AUTOINCREMENT, konfirmasi_id INTEGER NOT NULL REFERENCES ksbb_konfirmasi(id),
  umkm_kode TEXT NOT NULL REFERENCES ksbb_umkm(kode),
  hasil TEXT NOT NULL CHECK (hasil IN ('diterima', 'tidak_diterima', 'sebagian')),
  jumlah_dilaporkan INTEGER NOT NULL CHECK (jumlah_dilaporkan >= 0), jumlah_diterima INTEGER NOT NULL CHECK (jumlah_diterima >= 0),
  tanggal DATE NOT NULL, catatan TEXT, pendamping TEXT NOT NULL, created_by TEXT NOT NULL, created_at DATETIME NOT NULL,
  UNIQUE (konfirmasi_id, umkm_kode));
