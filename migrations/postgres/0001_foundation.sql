CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE kota (fid bigserial PRIMARY KEY, kode text NOT NULL UNIQUE, nama text NOT NULL, induk text,
  generated boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL, geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE TABLE kecamatan (LIKE kota INCLUDING DEFAULTS);
CREATE TABLE kelurahan (LIKE kota INCLUDING DEFAULTS);
CREATE TABLE rw (LIKE kota INCLUDING DEFAULTS);
ALTER TABLE kecamatan ADD PRIMARY KEY (fid), ADD UNIQUE (kode);
ALTER TABLE kelurahan ADD PRIMARY KEY (fid), ADD UNIQUE (kode);
ALTER TABLE rw ADD PRIMARY KEY (fid), ADD UNIQUE (kode);
CREATE SEQUENCE kecamatan_fid_seq OWNED BY kecamatan.fid;
CREATE SEQUENCE kelurahan_fid_seq OWNED BY kelurahan.fid;
CREATE SEQUENCE rw_fid_seq OWNED BY rw.fid;
ALTER TABLE kecamatan ALTER fid SET DEFAULT nextval('kecamatan_fid_seq');
ALTER TABLE kelurahan ALTER fid SET DEFAULT nextval('kelurahan_fid_seq');
ALTER TABLE rw ALTER fid SET DEFAULT nextval('rw_fid_seq');
CREATE INDEX kota_geom_gist ON kota USING gist (geom);
CREATE INDEX kecamatan_geom_gist ON kecamatan USING gist (geom);
CREATE INDEX kelurahan_geom_gist ON kelurahan USING gist (geom);
CREATE INDEX rw_geom_gist ON rw USING gist (geom);
CREATE INDEX rw_induk ON rw (induk);
CREATE INDEX kelurahan_induk ON kelurahan (induk);

CREATE TABLE audit_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL,
  action text NOT NULL, entity text NOT NULL, entity_id text NOT NULL, before jsonb, after jsonb);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE idempotency (scope text NOT NULL, key text NOT NULL, request_hash text NOT NULL, status integer NOT NULL,
  response text NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (scope, key));

CREATE TABLE api_tokens (id bigserial PRIMARY KEY, token_hash text NOT NULL UNIQUE, role text NOT NULL,
  unit text, label text, created_at timestamptz NOT NULL);
