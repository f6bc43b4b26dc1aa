-- Bottom-up proposals (usulan) for residents who were missed (seed 001 C): one proposal = one
-- batch of source 'usulan' for one RW (the RW's recap of the RT's forms); it moves desk by desk
-- (RT → RW → Kelurahan → Kecamatan → Biro Pemerintahan → Diskominfotik → Dukcapil → Biro Kesos →
-- decree). The proposal keeps its desk (tahap) and a version each move names; every move is a
-- history row (append-only by use: never updated).
CREATE TABLE recipient_usulan (id bigserial PRIMARY KEY, rw text NOT NULL,
  batch_id bigint NOT NULL UNIQUE REFERENCES recipient_batch(id),
  tahap text NOT NULL CHECK (tahap IN ('rt', 'rw', 'kelurahan', 'kecamatan', 'biro_pemerintahan', 'diskominfotik', 'dukcapil', 'biro_kesos', 'ditetapkan')),
  versi bigint NOT NULL DEFAULT 0, actor text NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE INDEX recipient_usulan_rw ON recipient_usulan (rw, id);
CREATE TABLE recipient_usulan_langkah (id bigserial PRIMARY KEY, usulan_id bigint NOT NULL REFERENCES recipient_usulan(id),
  dari text, ke text NOT NULL, aksi text NOT NULL CHECK (aksi IN ('buat', 'teruskan', 'kembalikan')),
  alasan text NOT NULL, actor text NOT NULL, at timestamptz NOT NULL);
CREATE INDEX recipient_usulan_langkah_usulan ON recipient_usulan_langkah (usulan_id, id);
