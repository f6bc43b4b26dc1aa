-- Complaints (CRM): the complaint, its append-only history, attachments and the editable unit list.
CREATE TABLE complaint_units (id TEXT PRIMARY KEY, nama TEXT NOT NULL, jenis TEXT NOT NULL,
  kanal TEXT NOT NULL DEFAULT '', aktif BOOLEAN NOT NULL DEFAULT TRUE, updated_at TIMESTAMPTZ NOT NULL);

CREATE TABLE complaints (
  id BIGSERIAL PRIMARY KEY,
  channel TEXT NOT NULL,
  category TEXT NOT NULL,
  description TEXT NOT NULL,
  reporter_contact TEXT,
  reported_lon DOUBLE PRECISION, reported_lat DOUBLE PRECISION, accuracy_m DOUBLE PRECISION,
  lon DOUBLE PRECISION, lat DOUBLE PRECISION,
  kelurahan TEXT, rw TEXT,
  unit TEXT NOT NULL,
  status TEXT NOT NULL,
  flags TEXT NOT NULL DEFAULT '',
  routing TEXT NOT NULL,
  external_ref TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  geom geometry(Point, 4326) GENERATED ALWAYS AS (
    CASE WHEN lon IS NULL OR lat IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED
);
CREATE INDEX complaints_unit_status ON complaints (unit, status, id);
CREATE INDEX complaints_created ON complaints (created_at);
CREATE INDEX complaints_geom ON complaints USING gist (geom);

CREATE TABLE complaint_history (
  id BIGSERIAL PRIMARY KEY,
  complaint_id BIGINT NOT NULL REFERENCES complaints(id),
  at TIMESTAMPTZ NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  from_status TEXT, to_status TEXT NOT NULL,
  from_unit TEXT, to_unit TEXT NOT NULL,
  reason TEXT, note TEXT
);
CREATE INDEX complaint_history_complaint ON complaint_history (complaint_id, id);
CREATE INDEX complaint_history_at ON complaint_history (at);
CREATE FUNCTION complaint_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'complaint_history is append-only'; END $$;
CREATE TRIGGER complaint_history_no_change BEFORE UPDATE OR DELETE ON complaint_history
  FOR EACH ROW EXECUTE FUNCTION complaint_history_append_only();

CREATE TABLE complaint_attachments (
  id BIGSERIAL PRIMARY KEY,
  complaint_id BIGINT NOT NULL REFERENCES complaints(id),
  storage_key TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
