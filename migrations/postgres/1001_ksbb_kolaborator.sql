-- KSBB collaborators (Lampiran I steps 5–7): donatur, pengelola dana / agregator, fintech apply to
-- Bidang Kolaborasi with the seed's requirements (badan hukum, izin; fintech: OJK licence); the
-- review approves (a PKS, Perjanjian Kerja Sama, with number and dates) or rejects with a reason.
-- A legal-entity number registers once. Contacts are personal data: masked in answers.
CREATE TABLE ksbb_kolaborator (id bigserial PRIMARY KEY,
  jenis text NOT NULL CHECK (jenis IN ('donatur', 'agregator', 'fintech')), nama text NOT NULL,
  badan_hukum text, nomor_badan_hukum text UNIQUE, nomor_izin text, nomor_ojk text,
  kontak_nama text NOT NULL, kontak_telepon text, kontak_email text, tampil_publik boolean NOT NULL DEFAULT false,
  status text NOT NULL CHECK (status IN ('diajukan', 'disetujui', 'ditolak')), alasan_penolakan text,
  reviewed_by text, reviewed_at timestamptz, created_by text NOT NULL, created_at timestamptz NOT NULL,
  CHECK (status <> 'ditolak' OR alasan_penolakan IS NOT NULL));

CREATE TABLE ksbb_pks (id bigserial PRIMARY KEY, kolaborator_id bigint NOT NULL UNIQUE REFERENCES ksbb_kolaborator(id),
  nomor text NOT NULL UNIQUE, tanggal_mulai date NOT NULL, tanggal_selesai date NOT NULL CHECK (tanggal_selesai >= tanggal_mulai),
  created_by text NOT NULL, created_at timestamptz NOT NULL);
