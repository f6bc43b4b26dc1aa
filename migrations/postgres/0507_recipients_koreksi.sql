-- Correction of a hand-out by name recorded against the wrong household (issue 12): the record
-- stays (history, never deleted), voided once with why, who and when, the record that replaces it
-- (`pengganti_id`, absent when only voided) and the bansos correction row that took its count back
-- (`koreksi_bansos_id`). "Once per round" now holds among the records not voided, so the wrong
-- household can still receive in that round.
ALTER TABLE recipient_penyaluran ADD COLUMN koreksi_alasan text, ADD COLUMN koreksi_actor text,
  ADD COLUMN koreksi_at timestamptz, ADD COLUMN pengganti_id bigint,
  ADD COLUMN koreksi_bansos_id bigint REFERENCES bansos_handout(id);
ALTER TABLE recipient_penyaluran DROP CONSTRAINT recipient_penyaluran_putaran_household_id_key;
CREATE UNIQUE INDEX recipient_penyaluran_sekali ON recipient_penyaluran (putaran, household_id) WHERE koreksi_at IS NULL;
CREATE INDEX recipient_penyaluran_koreksi_bansos ON recipient_penyaluran (koreksi_bansos_id);
-- The one change a record takes: being voided, once; every other column stays as written.
CREATE OR REPLACE FUNCTION recipient_penyaluran_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.koreksi_at IS NULL AND NEW.koreksi_at IS NOT NULL
     AND to_jsonb(NEW) - ARRAY['koreksi_alasan', 'koreksi_actor', 'koreksi_at', 'pengganti_id', 'koreksi_bansos_id']
       = to_jsonb(OLD) - ARRAY['koreksi_alasan', 'koreksi_actor', 'koreksi_at', 'pengganti_id', 'koreksi_bansos_id'] THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only (a record is only ever voided, once)', TG_TABLE_NAME;
END $$;
