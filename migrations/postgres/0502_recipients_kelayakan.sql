-- Eligibility (seed 002): a quota per kecamatan, and per kelurahan when given; the last
-- assessment per household with its reason. History is in the audit log.
CREATE TABLE recipient_quota (wilayah text PRIMARY KEY, kuota bigint NOT NULL CHECK (kuota >= 0), actor text NOT NULL, updated_at timestamptz NOT NULL);
ALTER TABLE recipient_household ADD COLUMN kelayakan text CHECK (kelayakan IN ('layak', 'tidak_layak', 'melebihi_kuota', 'belum_dipadankan'));
ALTER TABLE recipient_household ADD COLUMN kelayakan_alasan text;
