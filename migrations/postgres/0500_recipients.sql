-- Recipients (penerima bansos) by name: candidate data (data calon penerima) imported in batches,
-- one batch per source, every row kept with its source and line; households (KK) formed from the
-- rows that pass cleaning, deduplicated across sources by NIK or No. KK; near-duplicates flagged
-- for a person to decide. NIK and No. KK are stored only encrypted (AES-256-GCM, `*_enc`), with a
-- keyed hash (HMAC-SHA-256, `*_hash`) for lookups and dedup and a masked form for answers.
-- None of these tables is registered in the GeoPackage (private data, never a map layer).
CREATE TABLE recipient_batch (id bigserial PRIMARY KEY, sumber text NOT NULL, nama_file text NOT NULL,
  format text NOT NULL, file_sha256 text NOT NULL, rows_total bigint NOT NULL, rows_valid bigint NOT NULL,
  rows_ditolak bigint NOT NULL, generated boolean NOT NULL DEFAULT false, actor text NOT NULL, created_at timestamptz NOT NULL);

CREATE TABLE recipient_household (id bigserial PRIMARY KEY, rw text NOT NULL, rt text NOT NULL,
  nik_enc bytea NOT NULL, nik_hash text NOT NULL UNIQUE, nik_mask text NOT NULL,
  kk_enc bytea NOT NULL, kk_hash text NOT NULL UNIQUE, kk_mask text NOT NULL,
  nama text NOT NULL, alamat text NOT NULL, jumlah_anggota bigint NOT NULL CHECK (jumlah_anggota >= 1),
  telepon_enc bytea, program text NOT NULL, luar_dki boolean NOT NULL,
  -- Set when a person decided this household is the same as another (near-duplicate, `sama`).
  duplikat_dari bigint REFERENCES recipient_household(id),
  generated boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL);
CREATE INDEX recipient_household_rw ON recipient_household (rw, id);

CREATE TABLE recipient_row (id bigserial PRIMARY KEY, batch_id bigint NOT NULL REFERENCES recipient_batch(id),
  line bigint NOT NULL, rw text, rt text, nik_enc bytea, nik_hash text, nik_mask text,
  kk_enc bytea, kk_hash text, kk_mask text, nama text, alamat text, jumlah_anggota bigint, telepon_enc bytea, program text NOT NULL,
  status text NOT NULL CHECK (status IN ('valid', 'ditolak')), alasan text NOT NULL, luar_dki boolean NOT NULL,
  household_id bigint REFERENCES recipient_household(id), UNIQUE (batch_id, line));
CREATE INDEX recipient_row_household ON recipient_row (household_id);

CREATE TABLE recipient_near_dup (id bigserial PRIMARY KEY, rw text NOT NULL,
  household_a bigint NOT NULL REFERENCES recipient_household(id), household_b bigint NOT NULL REFERENCES recipient_household(id),
  jenis text NOT NULL, skor_nama double precision NOT NULL, skor_alamat double precision NOT NULL,
  keputusan text CHECK (keputusan IN ('sama', 'beda')), alasan text, decided_by text, decided_at timestamptz,
  created_at timestamptz NOT NULL, UNIQUE (household_a, household_b), CHECK (household_a < household_b));
CREATE INDEX recipient_near_dup_rw ON recipient_near_dup (rw, id);
