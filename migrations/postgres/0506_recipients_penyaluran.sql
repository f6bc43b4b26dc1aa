-- Hand-out by name (penyaluran, seed 001 B.1–B.2): one record per household per round (putaran),
-- `diterima` (it received its package; the bansos hand-out row it counts in is named) or
-- `ditarik` (the package was taken back, with the reason). Never updated or deleted.
CREATE TABLE recipient_penyaluran (id bigserial PRIMARY KEY, putaran bigint NOT NULL CHECK (putaran >= 1),
  household_id bigint NOT NULL REFERENCES recipient_household(id), sk_id bigint NOT NULL REFERENCES recipient_sk(id),
  rw text NOT NULL, status text NOT NULL CHECK (status IN ('diterima', 'ditarik')),
  alasan text CHECK ((status = 'diterima' AND alasan IS NULL) OR (status = 'ditarik' AND alasan IN ('tidak_di_lokasi', 'tidak_layak'))),
  keterangan text, petugas text, tanggal date NOT NULL, bansos_handout_id bigint REFERENCES bansos_handout(id),
  actor text NOT NULL, created_at timestamptz NOT NULL, UNIQUE (putaran, household_id));
CREATE INDEX recipient_penyaluran_rw ON recipient_penyaluran (putaran, rw, household_id);
CREATE INDEX recipient_penyaluran_household ON recipient_penyaluran (household_id);
CREATE INDEX recipient_penyaluran_bansos ON recipient_penyaluran (bansos_handout_id);
CREATE FUNCTION recipient_penyaluran_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
CREATE TRIGGER recipient_penyaluran_no_change BEFORE UPDATE OR DELETE ON recipient_penyaluran
  FOR EACH ROW EXECUTE FUNCTION recipient_penyaluran_append_only();
