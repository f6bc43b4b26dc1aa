-- KSBB Konfirmasi (Lampiran II, donatur step 2 and fintech step 5): what an approved collaborator
-- commits to, at which sites; submitting it issues the ID kolaborasi (KSBB-YYYY-NNNNNN, numbered
-- per year by ksbb_id_counter inside the same transaction, so two submissions never share one).
CREATE TABLE ksbb_id_counter (tahun bigint PRIMARY KEY, last bigint NOT NULL);

CREATE TABLE ksbb_konfirmasi (id bigserial PRIMARY KEY, id_kolaborasi text NOT NULL UNIQUE,
  kolaborator_id bigint NOT NULL REFERENCES ksbb_kolaborator(id),
  bentuk text NOT NULL CHECK (bentuk IN ('sarana', 'pelatihan', 'pinjaman')),
  uraian text NOT NULL, nilai_per_paket bigint CHECK (nilai_per_paket >= 0), jumlah_paket bigint CHECK (jumlah_paket >= 0),
  jadwal_mulai date NOT NULL, jadwal_selesai date NOT NULL CHECK (jadwal_selesai >= jadwal_mulai),
  penyalur_mandiri boolean NOT NULL, penyalur_kolaborator_id bigint REFERENCES ksbb_kolaborator(id),
  jumlah_pinjaman bigint CHECK (jumlah_pinjaman > 0), biaya_admin bigint CHECK (biaya_admin >= 0),
  biaya_originasi bigint CHECK (biaya_originasi >= 0), biaya_asuransi bigint CHECK (biaya_asuransi >= 0),
  jadwal_akad date, draf_econtract text,
  created_by text NOT NULL, created_at timestamptz NOT NULL);

CREATE TABLE ksbb_konfirmasi_site (konfirmasi_id bigint NOT NULL REFERENCES ksbb_konfirmasi(id),
  site_id bigint NOT NULL REFERENCES ksbb_site(id), PRIMARY KEY (konfirmasi_id, site_id));
