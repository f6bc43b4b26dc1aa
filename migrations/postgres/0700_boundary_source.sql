-- Where each boundary comes from (issue 15): one RW layer mixes real RW (source key
-- `inasafe-osm-2012`, year 2012) and generated ones (`generated`, no year), so the source and the
-- year it describes are kept per feature. NULL when the imported layer did not say.
ALTER TABLE kota ADD COLUMN sumber text, ADD COLUMN tahun integer;
ALTER TABLE kecamatan ADD COLUMN sumber text, ADD COLUMN tahun integer;
ALTER TABLE kelurahan ADD COLUMN sumber text, ADD COLUMN tahun integer;
ALTER TABLE rw ADD COLUMN sumber text, ADD COLUMN tahun integer;
