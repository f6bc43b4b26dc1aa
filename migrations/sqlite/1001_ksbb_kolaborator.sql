-- KSBB collaborators (Lampiran I steps 5–7): donatur, pengelola dana / agregator, fintech apply to
-- Bidang Kolaborasi with the seed's requirements (badan hukum, izin; fintech: OJK licence); the
-- review approves (a PKS, Perjanjian Kerja Sama, with number and dates) or rejects with a reason.
-- A legal-entity number registers once. Contacts are personal data: masked in answers.
CREATE TABLE ksbb_kolaborator (id INTEGER PRIMARY KEY AUTOINCREMENT,
  jenis TEXT NOT NULL CHECK (jenis IN ('donatur', 'agregator', 'fintech')), nama TEXT NOT NULL,
  badan_hukum TEXT, nomor_badan_hukum TEXT UNIQUE, nomor_izin TEXT, nomor_ojk TEXT,
  kontak_nama TEXT NOT NULL, kontak_telepon TEXT, kontak_email TEXT, tampil_publik BOOLEAN NOT NULL DEFAULT 0,
  status TEXT NOT NULL CHECK (status IN ('diajukan', 'disetujui', 'ditolak')), alasan_penolakan TEXT,
  reviewed_by TEXT, reviewed_at DATETIME, created_by TEXT NOT NULL, created_at DATETIME NOT NULL,
  CHECK (status <> 'ditolak' OR alasan_penolakan IS NOT NULL));

CREATE TABLE ksbb_pks (id INTEGER PRIMARY KEY AUTOINCREMENT, kolaborator_id INTEGER NOT NULL UNIQUE REFERENCES ksbb_kolaborator(id),
  nomor TEXT NOT NULL UNIQUE, tanggal_mulai DATE NOT NULL, tanggal_selesai DATE NOT NULL CHECK (tanggal_selesai >= tanggal_mulai),
  created_by TEXT NOT NULL, created_at DATETIME NOT NULL);
