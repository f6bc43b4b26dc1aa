-- Complaints (CRM): the complaint, its append-only history, attachments and the editable unit list.
CREATE TABLE complaint_units (id TEXT PRIMARY KEY, nama TEXT NOT NULL, jenis TEXT NOT NULL,
  kanal TEXT NOT NULL DEFAULT '', aktif BOOLEAN NOT NULL DEFAULT 1, updated_at DATETIME NOT NULL);

CREATE TABLE complaints (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  category TEXT NOT NULL,
  description TEXT NOT NULL,
  reporter_contact TEXT,
  reported_lon DOUBLE, reported_lat DOUBLE, accuracy_m DOUBLE,
  lon DOUBLE, lat DOUBLE,
  kelurahan TEXT, rw TEXT,
  unit TEXT NOT NULL,
  status TEXT NOT NULL,
  flags TEXT NOT NULL DEFAULT '',
  routing TEXT NOT NULL,
  external_ref TEXT,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX complaints_unit_status ON complaints (unit, status, id);
CREATE INDEX complaints_created ON complaints (created_at);
CREATE INDEX complaints_lonlat ON complaints (lon, lat);

CREATE TABLE complaint_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  complaint_id INTEGER NOT NULL REFERENCES complaints(id),
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  from_status TEXT, to_status TEXT NOT NULL,
  from_unit TEXT, to_unit TEXT NOT NULL,
  reason TEXT, note TEXT
);
CREATE INDEX complaint_history_complaint ON complaint_history (complaint_id, id);
CREATE INDEX complaint_history_at ON complaint_history (at);
CREATE TRIGGER complaint_history_no_update BEFORE UPDATE ON complaint_history BEGIN SELECT RAISE(ABORT, 'complaint_history is append-only'); END;
CREATE TRIGGER complaint_history_no_delete BEFORE DELETE ON complaint_history BEGIN SELECT RAISE(ABORT, 'complaint_history is append-only'); END;

CREATE TABLE complaint_attachments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  complaint_id INTEGER NOT NULL REFERENCES complaints(id),
  storage_key TEXT NOT NULL,
  content_type TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created_at DATETIME NOT NULL
);
