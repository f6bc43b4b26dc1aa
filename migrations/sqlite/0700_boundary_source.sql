-- Where each boundary comes from (issue 15): one RW layer mixes real RW (source key
-- `inasafe-osm-2012`, year 2012) and generated ones (`generated`, no year), so the source and the
-- year it describes are kept per feature. NULL when the imported layer did not say.
ALTER TABLE kota ADD COLUMN sumber TEXT;
ALTER TABLE kota ADD COLUMN tahun INTEGER;
ALTER TABLE kecamatan ADD COLUMN sumber TEXT;
ALTER TABLE kecamatan ADD COLUMN tahun INTEGER;
ALTER TABLE kelurahan ADD COLUMN sumber TEXT;
ALTER TABLE kelurahan ADD COLUMN tahun INTEGER;
ALTER TABLE rw ADD COLUMN sumber TEXT;
ALTER TABLE rw ADD COLUMN tahun INTEGER;
UPDATE gpkg_contents SET description = 'Rukun Warga: real RW where a source has them (columns sumber, tahun), generated RW elsewhere (generated = 1)' WHERE table_name = 'rw';
