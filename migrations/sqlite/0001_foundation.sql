-- GeoPackage 1.3 core tables (GDAL/QGIS read the file as a GeoPackage because of these and the
-- application_id set at open), then the four boundary layers and the shared audit/idempotency/token tables.
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326,
   'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
   'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');

CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);

CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);

CREATE TABLE kota (fid INTEGER PRIMARY KEY AUTOINCREMENT, kode TEXT NOT NULL UNIQUE, nama TEXT NOT NULL, induk TEXT,
  generated BOOLEAN NOT NULL DEFAULT 0, updated_at DATETIME NOT NULL, geom MULTIPOLYGON NOT NULL);
CREATE TABLE kecamatan (fid INTEGER PRIMARY KEY AUTOINCREMENT, kode TEXT NOT NULL UNIQUE, nama TEXT NOT NULL, induk TEXT,
  generated BOOLEAN NOT NULL DEFAULT 0, updated_at DATETIME NOT NULL, geom MULTIPOLYGON NOT NULL);
CREATE TABLE kelurahan (fid INTEGER PRIMARY KEY AUTOINCREMENT, kode TEXT NOT NULL UNIQUE, nama TEXT NOT NULL, induk TEXT,
  generated BOOLEAN NOT NULL DEFAULT 0, updated_at DATETIME NOT NULL, geom MULTIPOLYGON NOT NULL);
CREATE TABLE rw (fid INTEGER PRIMARY KEY AUTOINCREMENT, kode TEXT NOT NULL UNIQUE, nama TEXT NOT NULL, induk TEXT,
  generated BOOLEAN NOT NULL DEFAULT 0, updated_at DATETIME NOT NULL, geom MULTIPOLYGON NOT NULL);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('kota', 'features', 'kota', 'Kota/Kabupaten Administrasi DKI Jakarta (Kemendagri)', 4326),
  ('kecamatan', 'features', 'kecamatan', 'Kecamatan DKI Jakarta (Kemendagri)', 4326),
  ('kelurahan', 'features', 'kelurahan', 'Kelurahan DKI Jakarta (Kemendagri)', 4326),
  ('rw', 'features', 'rw', 'Rukun Warga (demo layer is generated, see column generated)', 4326);
INSERT INTO gpkg_geometry_columns VALUES
  ('kota', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('kecamatan', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('kelurahan', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('rw', 'geom', 'MULTIPOLYGON', 4326, 0, 0);

CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, before TEXT, after TEXT);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE idempotency (scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL,
  response TEXT NOT NULL, created_at DATETIME NOT NULL, PRIMARY KEY (scope, key));

CREATE TABLE api_tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
  unit TEXT, label TEXT, created_at DATETIME NOT NULL);
