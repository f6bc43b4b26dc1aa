-- Verification by RW and Lurah (seed 001 A), return to the kecamatan (seed 002 step 4): every
-- decision is a history row (append-only by use: never updated); the household keeps the latest
-- state and a version that each decision names (a decision on a moved state changes nothing).
CREATE TABLE recipient_verifikasi (id bigserial PRIMARY KEY, household_id bigint NOT NULL REFERENCES recipient_household(id),
  tahap text NOT NULL CHECK (tahap IN ('rw', 'lurah')), keputusan text NOT NULL CHECK (keputusan IN ('diterima', 'ditolak', 'dikembalikan')),
  alasan text NOT NULL, actor text NOT NULL, at timestamptz NOT NULL);
CREATE INDEX recipient_verifikasi_household ON recipient_verifikasi (household_id, id);
ALTER TABLE recipient_household ADD COLUMN verifikasi text;
ALTER TABLE recipient_household ADD COLUMN verifikasi_versi bigint NOT NULL DEFAULT 0;
