-- Bottom-up proposals (usulan) for residents who were missed (seed 001 C): one proposal = one
-- batch of source 'usulan' for one RW (the RW's recap of the RT's forms); it moves desk by desk
-- (RT → RW → Kelurahan → Kecamatan → Biro Pemerintahan → Diskominfotik → Dukcapil → Biro Kesos →
-- decree). The proposal keeps its desk (tahap) and a version each move names; every move is a
-- history row (append-only by use: never updated).
CREATE TABLE recipient_usulan (id INTEGER PRIMARY KEY AUTOINCREMENT, rw TEXT NOT NULL,
  batch_id INTEGER NOT NULL UNIQUE REFERENCES recipient_batch(id),
  tahap TEXT NOT NULL CHECK (tahap IN ('rt', 'rw', 'kelurahan', 'kecamatan', 'biro_pemerintahan', 'diskominfotik', 'dukcapil', 'biro_kesos', 'ditetapkan')),
  versi INTEGER NOT NULL DEFAULT 0, actor TEXT NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
CREATE INDEX recipient_usulan_rw ON recipient_usulan (rw, id);
CREATE TABLE recipient_usulan_langkah (id INTEGER PRIMARY KEY AUTOINCREMENT, usulan_id INTEGER NOT NULL REFERENCES recipient_usulan(id),
  dari TEXT, ke TEXT NOT NULL, aksi TEXT NOT NULL CHECK (aksi IN ('buat', 'teruskan', 'kembalikan')),
  alasan TEXT NOT NULL, actor TEXT NOT NULL, at DATETIME NOT NULL);
CREATE INDEX recipient_usulan_langkah_usulan ON recipient_usulan_langkah (usulan_id, id);
