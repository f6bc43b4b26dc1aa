-- Correction of a hand-out by name recorded against the wrong household (issue 12): the record
-- stays (history, never deleted), voided once with why, who and when, the record that replaces it
-- (`pengganti_id`, absent when only voided) and the bansos correction row that took its count back
-- (`koreksi_bansos_id`). "Once per round" now holds among the records not voided, so the wrong
-- household can still receive in that round. SQLite cannot drop a table's UNIQUE constraint:
-- the table is rebuilt (nothing references it; the implicit delete of DROP TABLE fires no trigger).
CREATE TABLE recipient_penyaluran_0507 (id INTEGER PRIMARY KEY AUTOINCREMENT, putaran INTEGER NOT NULL CHECK (putaran >= 1),
  household_id INTEGER NOT NULL REFERENCES recipient_household(id), sk_id INTEGER NOT NULL REFERENCES recipient_sk(id),
  rw TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('diterima', 'ditarik')),
  alasan TEXT CHECK ((status = 'diterima' AND alasan IS NULL) OR (status = 'ditarik' AND alasan IN ('tidak_di_lokasi', 'tidak_layak'))),
  keterangan TEXT, petugas TEXT, tanggal DATE NOT NULL, bansos_handout_id INTEGER REFERENCES bansos_handout(id),
  actor TEXT NOT NULL, created_at DATETIME NOT NULL,
  koreksi_alasan TEXT, koreksi_actor TEXT, koreksi_at DATETIME, pengganti_id INTEGER,
  koreksi_bansos_id INTEGER REFERENCES bansos_handout(id));
INSERT INTO recipient_penyaluran_0507 (id, putaran, household_id, sk_id, rw, status, alasan, keterangan, petugas, tanggal, bansos_handout_id, actor, created_at)
  SELECT id, putaran, household_id, sk_id, rw, status, alasan, keterangan, petugas, tanggal, bansos_handout_id, actor, created_at FROM recipient_penyaluran;
DROP TABLE recipient_penyaluran;
ALTER TABLE recipient_penyaluran_0507 RENAME TO recipient_penyaluran;
CREATE UNIQUE INDEX recipient_penyaluran_sekali ON recipient_penyaluran (putaran, household_id) WHERE koreksi_at IS NULL;
CREATE INDEX recipient_penyaluran_rw ON recipient_penyaluran (putaran, rw, household_id);
CREATE INDEX recipient_penyaluran_household ON recipient_penyaluran (household_id);
CREATE INDEX recipient_penyaluran_bansos ON recipient_penyaluran (bansos_handout_id);
CREATE INDEX recipient_penyaluran_koreksi_bansos ON recipient_penyaluran (koreksi_bansos_id);
-- The one change a record takes: being voided, once; every other column stays as written.
CREATE TRIGGER recipient_penyaluran_no_update BEFORE UPDATE ON recipient_penyaluran
  WHEN NOT (OLD.koreksi_at IS NULL AND NEW.koreksi_at IS NOT NULL AND NEW.id = OLD.id AND NEW.putaran = OLD.putaran
    AND NEW.household_id = OLD.household_id AND NEW.sk_id = OLD.sk_id AND NEW.rw = OLD.rw AND NEW.status = OLD.status
    AND NEW.alasan IS OLD.alasan AND NEW.keterangan IS OLD.keterangan AND NEW.petugas IS OLD.petugas AND NEW.tanggal = OLD.tanggal
    AND NEW.bansos_handout_id IS OLD.bansos_handout_id AND NEW.actor = OLD.actor AND NEW.created_at = OLD.created_at)
  BEGIN SELECT RAISE(ABORT, 'recipient_penyaluran is append-only (a record is only ever voided, once)'); END;
CREATE TRIGGER recipient_penyaluran_no_delete BEFORE DELETE ON recipient_penyaluran BEGIN SELECT RAISE(ABORT, 'recipient_penyaluran is append-only'); END;
