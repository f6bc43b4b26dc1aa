-- KSBB discrepancy flags (Lampiran I step 27: Bidang Kolaborasi "memberi informasi jika terjadi
-- perbedaan laporan dari Donatur dan/atau Pengelola Dana dan/atau Fintech"): every difference
-- between what two sources reported under one ID kolaborasi, with both figures. Raised by the
-- writes that change a source (Realisasi, pendamping checks), keyed by what differs and both
-- figures so a recomputation never raises the same flag twice; resolved with a note, never deleted.
CREATE TABLE ksbb_flag (id INTEGER PRIMARY KEY AUTOINCREMENT, konfirmasi_id INTEGER NOT NULL REFERENCES ksbb_konfirmasi(id),
  kolaborator_id INTEGER NOT NULL REFERENCES ksbb_kolaborator(id), kunci TEXT NOT NULL,
  jenis TEXT NOT NULL CHECK (jenis IN ('laporan_berbeda', 'jumlah_umkm_berbeda', 'verifikasi_berbeda', 'tanggal_di_luar_jadwal')),
  umkm_kode TEXT, sumber_a TEXT NOT NULL, nilai_a TEXT NOT NULL, sumber_b TEXT NOT NULL, nilai_b TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('terbuka', 'selesai')), catatan TEXT, resolved_by TEXT, resolved_at DATETIME,
  created_at DATETIME NOT NULL, UNIQUE (konfirmasi_id, kunci), CHECK (status = 'terbuka' OR catatan IS NOT NULL));
CREATE INDEX ksbb_flag_kolaborator ON ksbb_flag (kolaborator_id, status);
