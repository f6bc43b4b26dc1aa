-- Recipients (penerima bansos) by name: candidate data (data calon penerima) imported in batches,
-- one batch per source, every row kept with its source and line; households (KK) formed from the
-- rows that pass cleaning, deduplicated across sources by NIK or No. KK; near-duplicates flagged
-- for a person to decide. NIK and No. KK are stored only encrypted (AES-256-GCM, `*_enc`), with a
-- keyed hash (HMAC-SHA-256, `*_hash`) for lookups and dedup and a masked form for answers.
-- None of these tables is registered in the GeoPackage (private data, never a map layer).
CREATE TABLE recipient_batch (id INTEGER PRIMARY KEY AUTOINCREMENT, sumber TEXT NOT NULL, nama_file TEXT NOT NULL,
  format TEXT NOT NULL, file_sha256 TEXT NOT NULL, rows_total INTEGER NOT NULL, rows_valid INTEGER NOT NULL,
  rows_ditolak INTEGER NOT NULL, generated BOOLEAN NOT NULL DEFAULT 0, actor TEXT NOT NULL, created_at DATETIME NOT NULL);

CREATE TABLE recipient_household (id INTEGER PRIMARY KEY AUTOINCREMENT, rw TEXT NOT NULL, rt TEXT NOT NULL,
  nik_enc BLOB NOT NULL, nik_hash TEXT NOT NULL UNIQUE, nik_mask TEXT NOT NULL,
  kk_enc BLOB NOT NULL, kk_hash TEXT NOT NULL UNIQUE, kk_mask TEXT NOT NULL,
  nama TEXT NOT NULL, alamat TEXT NOT NULL, jumlah_anggota INTEGER NOT NULL CHECK (jumlah_anggota >= 1),
  telepon_enc BLOB, program TEXT NOT NULL, luar_dki BOOLEAN NOT NULL,
  -- Set when a person decided this household is the same as another (near-duplicate, `sama`).
  duplikat_dari INTEGER REFERENCES recipient_household(id),
  generated BOOLEAN NOT NULL DEFAULT 0, created_at DATETIME NOT NULL);
CREATE INDEX recipient_household_rw ON recipient_household (rw, id);

CREATE TABLE recipient_row (id INTEGER PRIMARY KEY AUTOINCREMENT, batch_id INTEGER NOT NULL REFERENCES recipient_batch(id),
  line INTEGER NOT NULL, rw TEXT, rt TEXT, nik_enc BLOB, nik_hash TEXT, nik_mask TEXT,
  kk_enc BLOB, kk_hash TEXT, kk_mask TEXT, nama TEXT, alamat TEXT, jumlah_anggota INTEGER, telepon_enc BLOB, program TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('valid', 'ditolak')), alasan TEXT NOT NULL, luar_dki BOOLEAN NOT NULL,
  household_id INTEGER REFERENCES recipient_household(id), UNIQUE (batch_id, line));
CREATE INDEX recipient_row_household ON recipient_row (household_id);

CREATE TABLE recipient_near_dup (id INTEGER PRIMARY KEY AUTOINCREMENT, rw TEXT NOT NULL,
  household_a INTEGER NOT NULL REFERENCES recipient_household(id), household_b INTEGER NOT NULL REFERENCES recipient_household(id),
  jenis TEXT NOT NULL, skor_nama REAL NOT NULL, skor_alamat REAL NOT NULL,
  keputusan TEXT CHECK (keputusan IN ('sama', 'beda')), alasan TEXT, decided_by TEXT, decided_at DATETIME,
  created_at DATETIME NOT NULL, UNIQUE (household_a, household_b), CHECK (household_a < household_b));
CREATE INDEX recipient_near_dup_rw ON recipient_near_dup (rw, id);
