-- Eligibility (seed 002): a quota per kecamatan, and per kelurahan when given; the last
-- assessment per household with its reason. History is in the audit log.
CREATE TABLE recipient_quota (wilayah TEXT PRIMARY KEY, kuota INTEGER NOT NULL CHECK (kuota >= 0), actor TEXT NOT NULL, updated_at DATETIME NOT NULL);
ALTER TABLE recipient_household ADD COLUMN kelayakan TEXT CHECK (kelayakan IN ('layak', 'tidak_layak', 'melebihi_kuota', 'belum_dipadankan'));
ALTER TABLE recipient_household ADD COLUMN kelayakan_alasan TEXT;
