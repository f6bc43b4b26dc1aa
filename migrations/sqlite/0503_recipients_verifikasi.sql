-- Verification by RW and Lurah (seed 001 A), return to the kecamatan (seed 002 step 4): every
-- decision is a history row (append-only by use: never updated); the household keeps the latest
-- state and a version that each decision names (a decision on a moved state changes nothing).
CREATE TABLE recipient_verifikasi (id INTEGER PRIMARY KEY AUTOINCREMENT, household_id INTEGER NOT NULL REFERENCES recipient_household(id),
  tahap TEXT NOT NULL CHECK (tahap IN ('rw', 'lurah')), keputusan TEXT NOT NULL CHECK (keputusan IN ('diterima', 'ditolak', 'dikembalikan')),
  alasan TEXT NOT NULL, actor TEXT NOT NULL, at DATETIME NOT NULL);
CREATE INDEX recipient_verifikasi_household ON recipient_verifikasi (household_id, id);
ALTER TABLE recipient_household ADD COLUMN verifikasi TEXT;
ALTER TABLE recipient_household ADD COLUMN verifikasi_versi INTEGER NOT NULL DEFAULT 0;
