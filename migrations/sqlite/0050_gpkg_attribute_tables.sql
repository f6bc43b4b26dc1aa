-- What a person opening the GeoPackage in QGIS or GDAL sees: the four boundary layers (0001) and
-- the documented attribute tables below, nothing else. GDAL lists every table of the file unless
-- one table is registered as 'attributes' in gpkg_contents (its LIST_ALL_TABLES=AUTO default);
-- with these rows it lists only what gpkg_contents names, so sqlx's _sqlx_migrations (BIGINT and
-- TIMESTAMP columns GDAL warns about on every open) and the internal tables (api_tokens,
-- idempotency, audit_log, complaints with reporters' contacts, plan_jobs …) stay out of the
-- layer list. They are still in the file: share an export (`ogr2ogr out.gpkg var/sigap.gpkg`
-- copies the listed layers only), not the live store.
-- No foreign key ties gpkg_contents to the tables, so the later domain migrations create them.
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
  ('bansos_target', 'attributes', 'bansos_target', 'Target KK penerima bansos per RW (join rw.kode = bansos_target.rw); generated = demo data'),
  ('complaint_units', 'attributes', 'complaint_units', 'Unit penerima pengaduan (kelurahan, kecamatan, dinas) and their channels');
