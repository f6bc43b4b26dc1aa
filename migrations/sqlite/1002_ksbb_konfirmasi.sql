-- KSBB Konfirmasi (Lampiran II, donatur step 2 and fintech step 5): what an approved collaborator
-- commits to, at which sites; submitting it issues the ID kolaborasi (KSBB-YYYY-NNNNNN, numbered
-- per year by ksbb_id_counter inside the same transaction, so two submissions never share one).
CREATE TABLE ksbb_id_counter (tahun INTEGER PRIMARY KEY, last INTEGER NOT NULL);

CREATE TABLE ksbb_konfirmasi (id INTEGER PRIMARY KEY AUTOINCREMENT, id_kolaborasi TEXT NOT NULL UNIQUE,
  kolaborator_id INTEGER NOT NULL REFERENCES ksbb_kolaborator(id),
  bentuk TEXT NOT NULL CHECK (bentuk IN ('sarana', 'pelatihan', 'pinjaman')),
  uraian TEXT NOT NULL, nilai_per_paket INTEGER CHECK (nilai_per_paket >= 0), jumlah_paket INTEGER CHECK (jumlah_paket >= 0),
  jadwal_mulai DATE NOT NULL, jadwal_selesai DATE NOT NULL CHECK (jadwal_selesai >= jadwal_mulai),
  penyalur_mandiri BOOLEAN NOT NULL, penyalur_kolaborator_id INTEGER REFERENCES ksbb_kolaborator(id),
  jumlah_pinjaman INTEGER CHECK (jumlah_pinjaman > 0), biaya_admin INTEGER CHECK (biaya_admin >= 0),
  biaya_originasi INTEGER CHECK (biaya_originasi >= 0), biaya_asuransi INTEGER CHECK (biaya_asuransi >= 0),
  jadwal_akad DATE, draf_econtract TEXT,
  created_by TEXT NOT NULL, created_at DATETIME NOT NULL);

CREATE TABLE ksbb_konfirmasi_site (konfirmasi_id INTEGER NOT NULL REFERENCES ksbb_konfirmasi(id),
  site_id INTEGER NOT NULL REFERENCES ksbb_site(id), PRIMARY KEY (konfirmasi_id, site_id));
