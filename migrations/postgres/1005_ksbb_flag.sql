-- KSBB discrepancy flags (Lampiran I step 27: Bidang Kolaborasi "memberi informasi jika terjadi
-- perbedaan laporan dari Donatur dan/atau Pengelola Dana dan/atau Fintech"): every difference
-- between what two sources reported under one ID kolaborasi, with both figures. Raised by the
-- writes that change a source (Realisasi, pendamping checks), keyed by what differs and both
-- figures so a recomputation never raises the same flag twice; resolved with a note, never deleted.
CREATE TABLE ksbb_flag (id bigserial PRIMARY KEY, konfirmasi_id bigint NOT NULL REFERENCES ksbb_konfirmasi(id),
  kolaborator_id bigint NOT NULL REFERENCES ksbb_kolaborator(id), kunci text NOT NULL,
  jenis text NOT NULL CHECK (jenis IN ('laporan_berbeda', 'jumlah_umkm_berbeda', 'verifikasi_berbeda', 'tanggal_di_luar_jadwal')),
  umkm_kode text, sumber_a text NOT NULL, nilai_a text NOT NULL, sumber_b text NOT NULL, nilai_b text NOT NULL,
  status text NOT NULL CHECK (status IN ('terbuka', 'selesai')), catatan text, resolved_by text, resolved_at timestamptz,
  created_at timestamptz NOT NULL, UNIQUE (konfirmasi_id, kunci), CHECK (status = 'terbuka' OR catatan IS NOT NULL));
CREATE INDEX ksbb_flag_kolaborator ON ksbb_flag (kolaborator_id, status);
