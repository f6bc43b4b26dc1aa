-- Hand-out by name (penyaluran, seed 001 B.1–B.2): one record per household per round (putaran),
-- `diterima` (it received its package; the bansos hand-out row it counts in is named) or
-- `ditarik` (the package was taken back, with the reason). Never updated or deleted.
CREATE TABLE recipient_penyaluran (id INTEGER PRIMARY KEY AUTOINCREMENT, putaran INTEGER NOT NULL CHECK (putaran >= 1),
  household_id INTEGER NOT NULL REFERENCES recipient_household(id), sk_id INTEGER NOT NULL REFERENCES recipient_sk(id),
  rw TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('diterima', 'ditarik')),
  alasan TEXT CHECK ((status = 'diterima' AND alasan IS NULL) OR (status = 'ditarik' AND alasan IN ('tidak_di_lokasi', 'tidak_layak'))),
  keterangan TEXT, petugas TEXT, tanggal DATE NOT NULL, bansos_handout_id INTEGER REFERENCES bansos_handout(id),
  actor TEXT NOT NULL, created_at DATETIME NOT NULL, UNIQUE (putaran, household_id));
CREATE INDEX recipient_penyaluran_rw ON recipient_penyaluran (putaran, rw, household_id);
CREATE INDEX recipient_penyaluran_household ON recipient_penyaluran (household_id);
CREATE INDEX recipient_penyaluran_bansos ON recipient_penyaluran (bansos_handout_id);
CREATE TRIGGER recipient_penyaluran_no_update BEFORE UPDATE ON recipient_penyaluran BEGIN SELECT RAISE(ABORT, 'recipient_penyaluran is append-only'); END;
CREATE TRIGGER recipient_penyaluran_no_delete BEFORE DELETE ON recipient_penyaluran BEGIN SELECT RAISE(ABORT, 'recipient_penyaluran is append-only'); END;
