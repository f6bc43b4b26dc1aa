-- The decree (SK penetapan, seed 002 step 5): the accepted list frozen into a numbered version
-- with a content hash and its date. A version and its items are never updated or deleted (a
-- change is a new version); the items keep what the BNBA/BAST print (masked numbers, name,
-- address, RT) as it was decreed.
CREATE TABLE recipient_sk (id bigserial PRIMARY KEY, versi bigint NOT NULL UNIQUE, nomor text NOT NULL UNIQUE,
  tanggal date NOT NULL, hash text NOT NULL, rumah_tangga bigint NOT NULL CHECK (rumah_tangga >= 1), jiwa bigint NOT NULL,
  actor text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE recipient_sk_item (sk_id bigint NOT NULL REFERENCES recipient_sk(id), household_id bigint NOT NULL REFERENCES recipient_household(id),
  rw text NOT NULL, rt text NOT NULL, nik_hash text NOT NULL, kk_hash text NOT NULL, nik_mask text NOT NULL, kk_mask text NOT NULL,
  nama text NOT NULL, alamat text NOT NULL, jumlah_anggota bigint NOT NULL, PRIMARY KEY (sk_id, household_id));
CREATE INDEX recipient_sk_item_rw ON recipient_sk_item (sk_id, rw, rt, household_id);
