-- The decree (SK penetapan, seed 002 step 5): the accepted list frozen into a numbered version
-- with a content hash and its date. A version and its items are never updated or deleted (a
-- change is a new version); the items keep what the BNBA/BAST print (masked numbers, name,
-- address, RT) as it was decreed.
CREATE TABLE recipient_sk (id INTEGER PRIMARY KEY AUTOINCREMENT, versi INTEGER NOT NULL UNIQUE, nomor TEXT NOT NULL UNIQUE,
  tanggal DATE NOT NULL, hash TEXT NOT NULL, rumah_tangga INTEGER NOT NULL CHECK (rumah_tangga >= 1), jiwa INTEGER NOT NULL,
  actor TEXT NOT NULL, created_at DATETIME NOT NULL);
CREATE TABLE recipient_sk_item (sk_id INTEGER NOT NULL REFERENCES recipient_sk(id), household_id INTEGER NOT NULL REFERENCES recipient_household(id),
  rw TEXT NOT NULL, rt TEXT NOT NULL, nik_hash TEXT NOT NULL, kk_hash TEXT NOT NULL, nik_mask TEXT NOT NULL, kk_mask TEXT NOT NULL,
  nama TEXT NOT NULL, alamat TEXT NOT NULL, jumlah_anggota INTEGER NOT NULL, PRIMARY KEY (sk_id, household_id));
CREATE INDEX recipient_sk_item_rw ON recipient_sk_item (sk_id, rw, rt, household_id);
